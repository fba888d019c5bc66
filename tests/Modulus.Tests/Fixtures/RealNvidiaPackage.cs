namespace Modulus.Tests.Fixtures;

/// <summary>
/// NVIDIA's real open kernel modules 595.45.04, packaged like NVIDIA's .run, in <c>../shared/nvidia/</c> beside the
/// checkout (its README says what it holds). Tests that need it skip, saying so, where a checkout lacks it.
/// </summary>
public static class RealNvidiaPackage
{
    public const string Version = "595.45.04";
    public const string FileName = "NVIDIA-Linux-x86_64-" + Version + ".run";

    public static string Directory => Path.GetFullPath(Path.Combine(Repo.Root, "..", "shared", "nvidia"));

    public static string Runfile => Path.Combine(Directory, FileName);

    public static bool Present => File.Exists(Runfile) && File.Exists(Path.Combine(Directory, "SHA256SUMS"));

    public static string MissingReason => $"NVIDIA's real package is not beside this checkout: {Runfile} (and SHA256SUMS beside it) is missing";

    /// <summary>The package's checksum as SHA256SUMS states it.</summary>
    public static string Sha256 => File.ReadLines(Path.Combine(Directory, "SHA256SUMS"))
        .Select(l => l.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries))
        .Single(p => p.Length == 2 && p[1].Trim().TrimStart('*') == FileName)[0];
}

/// <summary>A fact that needs <see cref="RealNvidiaPackage"/>: skipped, with the reason, where the package is absent.</summary>
public sealed class RealNvidiaFactAttribute : FactAttribute
{
    public RealNvidiaFactAttribute()
    {
        if (!RealNvidiaPackage.Present)
        {
            Skip = RealNvidiaPackage.MissingReason;
        }
    }
}
