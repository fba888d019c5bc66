namespace Modulus.DevBuilder.Serve;

/// <summary>
/// dev-builder's scratch space: the default is <c>&lt;tmp&gt;/dev-builder-work-&lt;pid&gt;-*</c>, removed when it stops;
/// at start, what an earlier, killed dev-builder left is removed (job dirs in the work dir, default work dirs of
/// processes that are gone).
/// </summary>
internal static class WorkDirs
{
    private const string Prefix = "dev-builder-work-";

    public static string CreateDefault() => Directory.CreateTempSubdirectory($"{Prefix}{Environment.ProcessId}-").FullName;

    public static void RemoveLeftovers(string workDir)
    {
        if (Directory.Exists(workDir))
        {
            foreach (var job in Directory.EnumerateFileSystemEntries(workDir))
            {
                TryDelete(job);
            }
        }

        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var pid = Path.GetFileName(dir)[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pid, System.Globalization.CultureInfo.InvariantCulture, out var id) && id != Environment.ProcessId && !Directory.Exists($"/proc/{id}"))
            {
                TryDelete(dir);
            }
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"dev-builder: could not remove {path}: {e.Message}");
        }
    }
}
