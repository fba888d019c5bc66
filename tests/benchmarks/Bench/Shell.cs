using System.Diagnostics;
using System.Globalization;

namespace Modulus.Bench;

/// <summary>
/// Runs bash command lines under GNU time (<c>/usr/bin/time -f "%e %M %U %S"</c>): wall seconds (10 ms steps), peak RSS and CPU seconds,
/// with the bench's environment (the S3 endpoint and credentials both sides use) added to the machine's.
/// </summary>
internal sealed class Shell(string work)
{
    public Dictionary<string, string> Environment { get; } = [];

    public Measured Run(string command, bool mayFail = false, IReadOnlyDictionary<string, string>? extra = null)
    {
        var timing = Path.Combine(work, "time.txt");
        var info = new ProcessStartInfo("/usr/bin/time", ["-f", "%e %M %U %S", "-o", timing, "bash", "-o", "pipefail", "-c", command])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (name, value) in Environment.Concat(extra ?? new Dictionary<string, string>()))
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var fields = File.ReadAllLines(timing).Last().Split(' ');
        var measured = new Measured(command, process.ExitCode, double.Parse(fields[0], CultureInfo.InvariantCulture),
            long.Parse(fields[1], CultureInfo.InvariantCulture), stdout.Result, stderr)
        {
            CpuSeconds = double.Parse(fields[2], CultureInfo.InvariantCulture) + double.Parse(fields[3], CultureInfo.InvariantCulture),
        };
        return measured.ExitCode == 0 || mayFail
            ? measured
            : throw new InvalidOperationException($"bench: `{command}` failed with exit code {measured.ExitCode}:\n{stdout.Result}\n{stderr}");
    }
}
