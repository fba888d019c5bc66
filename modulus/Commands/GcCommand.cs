using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Modulus.Commands.Options;
using Modulus.Core.Errors;
using Modulus.Distribution;
using Modulus.Storage;

namespace Modulus.Commands;

/// <summary><c>modulus gc --store URI [--dry-run] [--older-than 24h]</c>: remove blobs no manifest names.</summary>
internal static class GcCommand
{
    public static Command Create(Func<string, string?> getVariable)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be removed; remove nothing" };
        var olderThan = new Option<string>("--older-than") { Description = "Grace period: only blobs written longer ago go (e.g. 30m, 24h, 7d)", DefaultValueFactory = _ => "24h" };
        var store = new StoreOptions(getVariable);
        var command = new Command("gc", "Remove blobs that no manifest names and that are older than the grace period") { dryRun, olderThan };
        store.AddTo(command);
        store.Store.Required = true;
        command.SetAction((parsed, cancellationToken) => CommandHost.RunAsync(
            async (loggers, token) =>
            {
                var grace = Duration(parsed.GetValue(olderThan)!);
                using var artifactStore = store.Open(parsed, loggers)!;
                var removed = await new GarbageCollector(artifactStore, loggers.CreateLogger<GarbageCollector>()).CollectAsync(grace, parsed.GetValue(dryRun), token);
                await Console.Out.WriteLineAsync(
                    $"{(parsed.GetValue(dryRun) ? "would remove" : "removed")} {removed.Count} blob(s), {removed.Sum(b => b.Size) / 1048576.0:F1} MiB, from {artifactStore.Location}");
                return ExitCodes.Success;
            },
            cancellationToken));
        return command;
    }

    /// <summary>"90s", "30m", "24h", "7d".</summary>
    public static TimeSpan Duration(string value)
    {
        if (value.Length >= 2 && double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0 && n <= 3650 * 24)
        {
            TimeSpan? span = value[^1] switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => null };
            if (span is { } ok)
            {
                return ok;
            }
        }

        throw new InvalidInputException($"--older-than '{value}' is not valid: expected a number and s, m, h or d, e.g. 24h");
    }
}
