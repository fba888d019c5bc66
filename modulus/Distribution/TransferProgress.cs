using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Modulus.Distribution;

/// <summary>
/// Progress of one long step (pack, verify, upload, download) over a known number of bytes. On a terminal: a live,
/// width-aware bar on stderr (Spectre.Console) with bytes, rate and time left, replaced by one log line when done.
/// Not on a terminal (a pod's log): a log line every 5 s and the same line when done. Below 4 MiB it stays quiet.
/// </summary>
internal sealed class TransferProgress : IProgress<long>, IDisposable
{
    private const long QuietBelow = 4L << 20;
    private readonly string what;
    private readonly long total;
    private readonly ILogger logger;
    private readonly Stopwatch stopwatch = Stopwatch.StartNew();
    private readonly Timer? timer;
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task? live;
    private long done;

    /// <param name="what">A short verb phrase, e.g. "upload": the bar's label, at most a third of a narrow terminal.</param>
    /// <param name="detail">What the final log line adds, e.g. the blob's key.</param>
    public TransferProgress(string what, long total, ILogger logger, string? detail = null, TimeSpan? interval = null)
    {
        this.what = what;
        this.total = total;
        this.logger = logger;
        Detail = detail;
        if (total < QuietBelow)
        {
            return;
        }

        if (LiveTerminal)
        {
            live = RunBarAsync();
        }
        else
        {
            var period = interval ?? TimeSpan.FromSeconds(5);
            timer = new Timer(_ => LogProgress(), null, period, period);
        }
    }

    /// <summary>Whether a live bar is drawn; set once at start from <see cref="IsLiveTerminal"/> (off until then, as in tests).</summary>
    public static bool LiveTerminal { get; set; }

    /// <summary>Whether stderr is a terminal that a live bar can be drawn on (and the logs are text, not JSON).</summary>
    public static bool IsLiveTerminal(Func<string, string?> getVariable) => !Console.IsErrorRedirected
        && !string.Equals(getVariable("MODULUS_LOG_FORMAT"), "json", StringComparison.OrdinalIgnoreCase)
        && getVariable("TERM") is not (null or "" or "dumb");

    private string? Detail { get; }

    public void Report(long value) => Interlocked.Add(ref done, value);

    public void Dispose()
    {
        if (total < QuietBelow)
        {
            return;
        }

        timer?.Dispose();
        finished.TrySetResult();
        live?.GetAwaiter().GetResult(); // the bar is cleared before the final line is written
        logger.LogInformation("{What:l}{Detail:l}: {DoneMiB:F1} MiB in {Seconds:F1} s ({Rate:F1} MiB/s)",
            char.ToUpperInvariant(what[0]) + what[1..], Detail is null ? string.Empty : " " + Detail, Mib(Interlocked.Read(ref done)), stopwatch.Elapsed.TotalSeconds, Rate());
    }

    private Task RunBarAsync()
    {
        // LiveTerminal decided that stderr is a terminal; Spectre's own detection looks at stdout and the TERM names it knows.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error), Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes, ColorSystem = ColorSystemSupport.Detect,
        });
        var progress = console.Progress()
            .AutoClear(true) // nothing of the bar stays on screen: the final log line replaces it
            .HideCompleted(true)
            .Columns(new ProgressColumn[]
            {
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn { Width = null },
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn(),
            });
        return progress.StartAsync(async context =>
        {
            var task = context.AddTask(Markup.Escape(what), maxValue: total);
            while (!finished.Task.IsCompleted)
            {
                task.Value = Math.Min(Interlocked.Read(ref done), total);
                await Task.WhenAny(finished.Task, Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None));
            }

            task.Value = total;
            task.StopTask();
        });
    }

    private void LogProgress()
    {
        var current = Interlocked.Read(ref done);
        var percent = total > 0 ? 100.0 * current / total : 0;
        var rate = Rate();
        var left = rate > 0 ? TimeSpan.FromSeconds(Mib(Math.Max(total - current, 0)) / rate) : (TimeSpan?)null;
        logger.LogInformation("{What:l}: {DoneMiB:F1} of {TotalMiB:F1} MiB ({Percent:F0}%), {Rate:F1} MiB/s{Left:l}",
            what, Mib(current), Mib(total), percent, rate, left is { } l ? $", {l.TotalSeconds:F0} s left" : string.Empty);
    }

    private double Rate() => Mib(Interlocked.Read(ref done)) / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001);

    private static double Mib(long bytes) => bytes / 1048576.0;
}
