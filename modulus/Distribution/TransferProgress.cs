using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Modulus.Distribution;

/// <summary>
/// Reports a transfer of more than a few MB: a log line (bytes, percent, MiB/s) at a steady interval and, when
/// stderr is a terminal, a live progress line. Smaller transfers stay quiet.
/// </summary>
internal sealed class TransferProgress : IProgress<long>, IDisposable
{
    private const long QuietBelow = 4L << 20;
    private readonly string what;
    private readonly long total;
    private readonly ILogger logger;
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();
    private readonly Timer? timer;
    private readonly bool live = !Console.IsErrorRedirected;
    private long done;

    public TransferProgress(string what, long total, ILogger logger, TimeSpan? interval = null)
    {
        this.what = what;
        this.total = total;
        this.logger = logger;
        if (total >= QuietBelow)
        {
            var period = interval ?? TimeSpan.FromSeconds(live ? 1 : 5);
            timer = new Timer(_ => Tick(), null, period, period);
        }
    }

    public void Report(long value) => Interlocked.Add(ref done, value);

    public void Dispose()
    {
        if (timer is null)
        {
            return;
        }

        timer.Dispose();
        if (live)
        {
            Console.Error.Write("\r\u001b[K");
        }

        logger.LogInformation("{What}: {DoneMiB:F1} MiB in {Seconds:F1} s ({Rate:F1} MiB/s)", what, Mib(done), stopwatch.Elapsed.TotalSeconds, Rate());
    }

    private void Tick()
    {
        var current = Interlocked.Read(ref done);
        var percent = total > 0 ? 100.0 * current / total : 0;
        if (live)
        {
            Console.Error.Write($"\r{what}: {Mib(current):F1} of {Mib(total):F1} MiB ({percent:F0}%), {Rate():F1} MiB/s\u001b[K");
        }
        else
        {
            logger.LogInformation("{What}: {DoneMiB:F1} of {TotalMiB:F1} MiB ({Percent:F0}%), {Rate:F1} MiB/s", what, Mib(current), Mib(total), percent, Rate());
        }
    }

    private double Rate() => Mib(Interlocked.Read(ref done)) / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001);

    private static double Mib(long bytes) => bytes / 1048576.0;
}
