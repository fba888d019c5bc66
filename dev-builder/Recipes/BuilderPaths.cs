namespace Modulus.DevBuilder.Recipes;

/// <summary>Where builds land (the shared out dir) and where they scratch (the work dir).</summary>
internal sealed record BuilderPaths(string OutDir, string WorkDir);
