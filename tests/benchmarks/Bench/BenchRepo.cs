namespace Modulus.Bench;

/// <summary>The checkout the bench runs from: the directory above it that holds Modulus.sln.</summary>
internal static class BenchRepo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Modulus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"bench: no Modulus.sln above {AppContext.BaseDirectory}; run it from the checkout (make bench)");
    }
}
