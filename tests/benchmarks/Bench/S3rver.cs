using System.Diagnostics;

namespace Modulus.Bench;

/// <summary>s3rver (a Node process) on loopback, on a port it picks; killed with its children on dispose.</summary>
internal sealed class S3rver : IDisposable
{
    private readonly Process process;

    private S3rver(Process process, string endpoint)
    {
        this.process = process;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    /// <summary>The CPU seconds s3rver has used so far (user and system, /proc/PID/stat, 100 ticks a second).</summary>
    public double CpuSeconds
    {
        get
        {
            // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
        }
    }

    public static async Task<S3rver> StartAsync(string script, string dataDir)
    {
        var process = Process.Start(new ProcessStartInfo("node", [script, "-d", dataDir, "-a", "127.0.0.1", "-p", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["NODE_OPTIONS"] = "--openssl-legacy-provider" },
        })!;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            var at = line.IndexOf("listening on 127.0.0.1:", StringComparison.Ordinal);
            if (at >= 0)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                _ = process.StandardError.ReadToEndAsync();
                return new S3rver(process, "http://" + line[(at + "listening on ".Length)..].Trim());
            }
        }

        var stderr = await process.StandardError.ReadToEndAsync();
        process.Dispose();
        throw new InvalidOperationException($"bench: s3rver did not start: {stderr}");
    }

    public void Dispose()
    {
        process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
