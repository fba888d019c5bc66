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
    /// Modulus against several limits, each measured in every round beside it (the order turns round every other
    /// round). <paramref name="serverCpu"/>, where given, reads a server's CPU seconds so far (s3rver's): what it spends
    /// during a limit's command counts as that command's CPU, since it runs on the same cores.
    /// </summary>
    public List<LimitRound> RunAgainstLimits(string modulusCommand, IReadOnlyList<string> limitCommands, string prepare, Func<double>? serverCpu = null)
    {
        var results = new List<LimitRound>();
        for (var i = 0; i < count; i++)
        {
            Measured Timed(string command)
            {
                shell.Run(prepare);
                var before = serverCpu?.Invoke() ?? 0;
                var measured = shell.Run(command);
                return serverCpu is null ? measured : measured with { CpuSeconds = measured.CpuSeconds + serverCpu() - before };
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

            results.Add(new LimitRound(m, limits));
        }

        Console.Error.WriteLine($"bench: the larger limit was {string.Join(", ", results.Select(r => r.Slowest.Command.Split(' ')[0]))}");
        return results;
    }

    /// <summary>One round of <see cref="RunAgainstLimits"/>: Modulus' run and each limit's, the limits run one at a time.</summary>
    internal sealed record LimitRound(Measured Modulus, IReadOnlyList<Measured> Limits)
    {
        /// <summary>The slowest limit: what the slowest step Modulus cannot skip takes alone on this machine at that moment.</summary>
        public Measured Slowest => Limits.MaxBy(l => l.Seconds)!;

        /// <summary>
        /// The limits' CPU seconds over <paramref name="cores"/>: no schedule of all of their work on these cores ends
        /// sooner, however well the steps overlap.
        /// </summary>
        public double Work(int cores) => Limits.Sum(l => l.CpuSeconds) / cores;

        /// <summary>
        /// The work bound of the limits' steps on <paramref name="cores"/> cores, run at once: the larger of the slowest
        /// step and <see cref="Work"/> (the span and the work of the job; no schedule beats either).
        /// </summary>
        public Measured WorkBound(int cores) => Slowest with { Command = "work bound", Seconds = Math.Max(Slowest.Seconds, Work(cores)) };
    }

    /// <summary>Rounds of <see cref="RunAgainstLimits"/> as pairs of Modulus against the slowest limit of each round.</summary>
    public static List<(Measured Modulus, Measured Peer)> AgainstSlowest(IEnumerable<LimitRound> rounds) => [.. rounds.Select(r => (r.Modulus, r.Slowest))];

    /// <summary>Rounds of <see cref="RunAgainstLimits"/> as pairs of Modulus against each round's work bound on <paramref name="cores"/> cores.</summary>
    public static List<(Measured Modulus, Measured Peer)> AgainstWorkBound(IEnumerable<LimitRound> rounds, int cores) => [.. rounds.Select(r => (r.Modulus, r.WorkBound(cores)))];

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
