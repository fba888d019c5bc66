using System.Globalization;

namespace Modulus.Bench;

/// <summary>
/// Modulus beside a peer, as interleaved pairs (Modulus then the peer, the next pair the other way round), each
/// command after an untimed preparation; a row gives min and median of both and of their ratio.
/// </summary>
internal sealed class Pairs(Shell shell, int count)
{
    private int round;

    public List<(Measured Modulus, Measured Peer)> Run(string modulusCommand, string peerCommand, string? prepare = null)
    {
        var results = new List<(Measured, Measured)>();
        for (var i = 0; i < count; i++)
        {
            var r = (round++).ToString(CultureInfo.InvariantCulture);
            if (i % 2 == 0)
            {
                var m = Timed(modulusCommand, r);
                results.Add((m, Timed(peerCommand, r)));
            }
            else
            {
                var p = Timed(peerCommand, r);
                results.Add((Timed(modulusCommand, r), p));
            }
        }

        return results;

        Measured Timed(string command, string r)
        {
            if (prepare is not null)
            {
                shell.Run(prepare);
            }

            return shell.Run(command.Replace("$R", r, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Modulus against the larger of several limits, each measured in every round beside it (the order turns round
    /// every other round): the peer of a round is its slowest limit, so the ratio is Modulus' time over what the
    /// slowest step it cannot skip takes alone on this machine at that moment.
    /// </summary>
    public List<(Measured Modulus, Measured Peer)> RunAgainstLimits(string modulusCommand, IReadOnlyList<string> limitCommands, string prepare)
    {
        var results = new List<(Measured, Measured)>();
        for (var i = 0; i < count; i++)
        {
            Measured Timed(string command)
            {
                shell.Run(prepare);
                return shell.Run(command);
            }

            Measured m;
            List<Measured> limits;
            if (i % 2 == 0)
            {
                m = Timed(modulusCommand);
                limits = [.. limitCommands.Select(Timed)];
            }
            else
            {
                limits = [.. limitCommands.Select(Timed)];
                m = Timed(modulusCommand);
            }

            results.Add((m, limits.MaxBy(l => l.Seconds)!));
        }

        Console.Error.WriteLine($"bench: the larger limit was {string.Join(", ", results.Select(r => r.Item2.Command.Split(' ')[0]))}");
        return results;
    }

    /// <summary>A row of the main table: Modulus and peer seconds, their ratio (min / median), the goal, Modulus' peak RSS.</summary>
    public static string Row(string name, List<(Measured Modulus, Measured Peer)> results, string goal)
    {
        var ratios = results.Select(r => r.Modulus.Seconds / r.Peer.Seconds).ToList();
        Console.Error.WriteLine($"bench: {name}: ratio {ratios.Min():F2} / {Stats.Median(ratios):F2}");
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {results.Min(r => r.Modulus.Seconds):F2} / {Stats.Median(results.Select(r => r.Modulus.Seconds)):F2} | " +
            $"{results.Min(r => r.Peer.Seconds):F2} / {Stats.Median(results.Select(r => r.Peer.Seconds)):F2} | **{ratios.Min():F2} / {Stats.Median(ratios):F2}** | {goal} | " +
            $"{results.Max(r => r.Modulus.RssMiB):F0} MiB |");
    }
}
