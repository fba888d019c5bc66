using System.Text.Json;
using Modulus.Cache;
using Modulus.Core.Files;
using Modulus.Core.Pipes;

namespace Modulus.Install;

/// <summary>
/// The outcome of the last <c>modulus install</c> on this node, kept in <c>&lt;cache&gt;/last-install.json</c>
/// (written atomically), so that <c>modulus status</c> can say why the node is not ready.
/// </summary>
internal sealed record InstallState(string Artifact, bool Succeeded, string Message, int ExitCode, DateTimeOffset At)
{
    /// <summary>Seconds the install took.</summary>
    public double? DurationSeconds { get; init; }

    /// <summary>Bytes fetched from the store (the blob's size); 0 when the cache had the artifact.</summary>
    public long? BytesFetched { get; init; }

    public static void Write(string cacheDir, InstallState state)
    {
        // Through a handle of the cache dir: a link planted in the cache (it is a hostPath) cannot redirect the write.
        AtomicFile.WriteBeneath(Path.GetFullPath(cacheDir), HostCache.LastInstallName, JsonSerializer.SerializeToUtf8Bytes(state, InstallJson.Info<InstallState>(InstallJson.Indented)));
    }

    public static InstallState? Read(string cacheDir)
    {
        var path = new HostCache(cacheDir).LastInstall;
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), InstallJson.Info<InstallState>(InstallJson.Options)) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
