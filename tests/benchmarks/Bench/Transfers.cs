using System.Globalization;
using System.Text;

namespace Modulus.Bench;

/// <summary>
/// publish, fetch and verify beside their peers on the corpus, against s3rver on loopback and a file:// store; fetch
/// against this disk's limit, 20 fetches at once, fetch's peak RSS at two artifact sizes, and what each limit costs.
/// </summary>
internal sealed class Transfers(Shell shell, Pairs pairs, string modulus, string work, S3rver s3rver)
{
    private const string Kernel = "6.1.0-57-amd64";
    private const int Concurrent = 20;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public async Task<string> RunAsync(string cache, string artifact, long bytes)
    {
        var aws = $"aws --endpoint-url {s3rver.Endpoint}";
        shell.Run($"{aws} s3 mb s3://bench");
        var key = $"--driver-version {Corpus.Version} --gardenlinux-version {Corpus.Gardenlinux} --kernel-version {Kernel} --module-type open";
        var fileStore = Path.Combine(work, "store");
        shell.Run($"'{modulus}' publish --from '{artifact}' --store s3://bench/fetch");
        shell.Run($"'{modulus}' publish --from '{artifact}' --store file://{fileStore}");
        var peerGz = Path.Combine(work, "peer.tar.gz");
        shell.Run($"tar -czf '{peerGz}' -C '{artifact}' .");
        shell.Run($"{aws} s3 cp '{peerGz}' s3://bench/peer/peer.tar.gz");
        var blob = Directory.EnumerateFiles(fileStore, "*.tar.zst", SearchOption.AllDirectories).Single();
        var to = Path.Combine(work, "to");
        // Before each fetch, not timed: an empty target, and every earlier write on the disk, so that neither side pays
        // for the other's writeback.
        var fresh = $"rm -rf '{to}' && mkdir -p '{to}' && sync";
        var fetchS3 = $"'{modulus}' fetch --store s3://bench/fetch {key} --to '{to}/a'";
        var fetchFile = $"'{modulus}' fetch --store file://{fileStore} {key} --to '{to}/a'";
        var cores = System.Environment.ProcessorCount;

        var rows = new List<string>
        {
            Pairs.Row("publish (S3) vs `tar -czf - \\| aws s3 cp -`", pairs.Run($"'{modulus}' publish --from '{artifact}' --store s3://bench/m$R", $"tar -czf - -C '{artifact}' . | {aws} s3 cp - s3://bench/p$R/a.tar.gz"), "≤ 0.35"),
            Pairs.Row("publish (S3) vs `tar \\| pigz \\| aws s3 cp -`", pairs.Run($"'{modulus}' publish --from '{artifact}' --store s3://bench/n$R", $"tar -cf - -C '{artifact}' . | pigz | {aws} s3 cp - s3://bench/q$R/a.tar.gz"), "≤ 0.5"),
            Pairs.Row("fetch (S3) vs unverified `aws s3 cp - \\| tar -xzf -`", pairs.Run(fetchS3, $"{aws} s3 cp s3://bench/peer/peer.tar.gz - | tar -xzf - -C '{to}'", fresh), "≤ 0.5"),
            Pairs.Row("fetch (file://) vs `sha256sum && tar -xzf`", pairs.Run(fetchFile, $"sha256sum '{peerGz}' >/dev/null && tar -xzf '{peerGz}' -C '{to}'", fresh), "≤ 0.5"),
            Pairs.Row("verify (cache) vs `xargs sha256sum`", pairs.Run($"'{modulus}' verify --cache-dir '{cache}'", $"find '{artifact}' -type f -print0 | xargs -0 sha256sum >/dev/null"), "—"),
            Pairs.Row($"verify (cache) vs `openssl dgst` on {cores} processes (the SHA-256 limit)", pairs.Run($"'{modulus}' verify --cache-dir '{cache}'", $"find '{artifact}' -type f -print0 | xargs -0 -P {cores} -n 16 openssl dgst -sha256 >/dev/null"), "≥ 0.8× its rate, i.e. ≤ 1.25"),
        };

        // Fetch against what this machine allows (issue 23): the larger of decompressing the blob (zstd -dc to /dev/null)
        // and tar -x of the already decompressed tar onto the same disk, both measured in every round; over S3 also the
        // download alone (curl of the blob from s3rver to /dev/null), since s3rver shares the cores.
        var blobTar = Path.Combine(work, "blob.tar");
        shell.Run($"zstd -dc '{blob}' > '{blobTar}'");
        var untar = $"tar -xf '{blobTar}' -C '{to}'";
        var unzstd = $"zstd -dc '{blob}' >/dev/null";
        var download = $"curl -sf -o /dev/null '{s3rver.Endpoint}/bench/fetch/{Path.GetRelativePath(fileStore, blob)}'";
        var fileRounds = pairs.RunAgainstLimits(fetchFile, [unzstd, untar], fresh);
        var s3Rounds = pairs.RunAgainstLimits(fetchS3, [unzstd, untar, download], fresh, () => s3rver.CpuSeconds);
        rows.Add(Pairs.Row("fetch (file://) vs the larger of `zstd -dc` of the blob and `tar -x` of the decompressed tar onto this disk (the limit)", Pairs.AgainstSlowest(fileRounds), "≤ 1.2"));
        rows.Add(Pairs.Row("fetch (S3) vs the larger of those two and `curl` of the blob from s3rver to /dev/null (the S3 limit)", Pairs.AgainstSlowest(s3Rounds), "≤ 1.2"));

        // The same three steps' work bound: s3rver runs on the cores fetch uses, so their CPU seconds, its own included,
        // over the cores is a bound no schedule of the three beats, however well they overlap (the slowest alone is the other).
        rows.Add(Pairs.Row($"fetch (S3) vs the work bound of those three steps on {cores} cores: the larger of the slowest and all their CPU seconds (s3rver's serving included) / {cores}", Pairs.AgainstWorkBound(s3Rounds, cores), "—"));

        // The same steps at once, as native tools do them without checking anything: what two cores allow when the
        // stages share them (and, over S3, share them with s3rver).
        rows.Add(Pairs.Row("fetch (file://) vs `zstd -dc \\| tar -x` (native, unverified, the stages sharing the cores)", pairs.Run(fetchFile, $"zstd -dc '{blob}' | tar -xf - -C '{to}'", fresh), "—"));
        rows.Add(Pairs.Row("fetch (S3) vs `curl \\| zstd -dc \\| tar -x` from s3rver (native, unverified)", pairs.Run(fetchS3, $"{download.Replace(" -o /dev/null", string.Empty, StringComparison.Ordinal)} | zstd -dc | tar -xf - -C '{to}'", fresh), "—"));
        File.Delete(blobTar);

        shell.Run(fresh);
        var (oneS3, serverCpu) = WithServer(fetchS3);
        shell.Run(fresh);
        var oneFile = shell.Run(fetchFile);

        // 20 fetches at once from the one s3rver, each into its own directory, against 20 times one fetch alone.
        var rssFiles = Path.Combine(work, "rss");
        shell.Run($"rm -rf '{to}' '{rssFiles}' && mkdir -p '{to}' '{rssFiles}'");
        var single = shell.Run($"'{modulus}' fetch --store s3://bench/fetch {key} --to '{to}/single'");
        shell.Run($"rm -rf '{to}' && mkdir -p '{to}'");
        var (ioBefore, cpuBefore) = (Pressure("io"), Pressure("cpu"));
        var (concurrent, serverConcurrent) = WithServer(AllAtOnce($"/usr/bin/time -f %M -o '{rssFiles}'/$i '{modulus}' fetch --store s3://bench/fetch {key} --to '{to}'/$i"));
        var (ioStall, cpuStall) = (Pressure("io") - ioBefore, Pressure("cpu") - cpuBefore);
        var concurrentRss = Directory.EnumerateFiles(rssFiles).Select(f => long.Parse(File.ReadAllLines(f).Last(), Inv) / 1024.0).ToList();
        shell.Run($"rm -rf '{to}' '{rssFiles}'");

        // The same 20 as native tools do them, unverified (curl | zstd -dc | tar -x from the same s3rver), against 20
        // times one: what this machine does to 20 writers at once, whoever they are.
        var pipeline = $"{download.Replace(" -o /dev/null", string.Empty, StringComparison.Ordinal)} | zstd -dc | tar -xf - -C '{to}'/$i";
        shell.Run($"rm -rf '{to}' && mkdir -p '{to}/single' && sync");
        var peerSingle = shell.Run($"i=single; {pipeline}");
        shell.Run($"rm -rf '{to}' && mkdir -p '{to}' && sync");
        var (peerConcurrent, serverPeers) = WithServer(AllAtOnce($"mkdir -p '{to}'/$i && ( {pipeline} )"));
        shell.Run($"rm -rf '{to}'");

        // Fetch's peak RSS at 100 MiB and at 1 GiB (issue 23: flat in the artifact's size), from file:// stores: artifacts
        // made of the corpus' files, repeated under other names where the corpus is smaller.
        var sized = new List<(long Bytes, Measured Fetch)>();
        foreach (var mib in new[] { 100, 1024 })
        {
            var root = Path.Combine(work, $"sized-{mib}");
            var sizedArtifact = Path.Combine(root, Corpus.Gardenlinux, Kernel, $"nvidia-{Corpus.Version}-open-amd64");
            var sizedBytes = Corpus.Copy(artifact, sizedArtifact, mib);
            await Corpus.WriteManifestAsync(sizedArtifact, Kernel);
            var sizedStore = Path.Combine(work, $"store-{mib}");
            shell.Run($"'{modulus}' publish --from '{sizedArtifact}' --store file://{sizedStore}");
            shell.Run($"rm -rf '{root}' '{to}' && mkdir -p '{to}'");
            sized.Add((sizedBytes, shell.Run($"'{modulus}' fetch --store file://{sizedStore} {key} --to '{to}/a'")));
            shell.Run($"rm -rf '{to}' '{sizedStore}'");
        }

        var limits = new[]
        {
            ("read every file (page cache)", shell.Run($"find '{artifact}' -type f -print0 | xargs -0 cat >/dev/null")),
            ("gzip -dc of the gzip tarball (one inflate stream)", shell.Run($"gzip -dc '{peerGz}' >/dev/null")),
            ("zstd -dc of Modulus' blob", shell.Run($"zstd -dc '{blob}' >/dev/null")),
            ($"tar \\| zstd -3 -T{cores} (pack limit)", shell.Run($"tar -cf - -C '{artifact}' . | zstd -3 -T{cores} >/dev/null")),
        };
        var (curl, serverCurlCpu) = WithServer(download);
        var disk = shell.Run($"dd if=/dev/zero of='{work}/dd' bs=4M count=512 oflag=direct status=none && rm -f '{work}/dd'");

        var text = new StringBuilder();
        text.AppendLine("| comparison | Modulus s (min / median) | peer s (min / median) | ratio (min / median) | goal | Modulus peak RSS |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        rows.ForEach(r => text.AppendLine(r));
        text.AppendLine();
        text.AppendLine(Inv, $"CPU seconds of one fetch: file:// {oneFile.CpuSeconds:F2} s in {oneFile.Seconds:F2} s; S3 {oneS3.CpuSeconds:F2} s in {oneS3.Seconds:F2} s, and s3rver {serverCpu:F2} s " +
            $"beside it (it spends {serverCurlCpu:F2} s serving the blob to `curl` alone): {cores} cores hold {cores * oneS3.Seconds:F2} CPU seconds in that time.");
        text.AppendLine();
        text.AppendLine(Inv, $"The limits' steps in the rounds above (medians): file:// `zstd -dc` {Median(fileRounds, 0, l => l.Seconds):F2} s and `tar -x` {Median(fileRounds, 1, l => l.Seconds):F2} s " +
            $"({Median(fileRounds, 0, l => l.CpuSeconds):F2} and {Median(fileRounds, 1, l => l.CpuSeconds):F2} CPU s: work over {cores} cores {Stats.Median(fileRounds.Select(r => r.Work(cores))):F2} s); " +
            $"S3 `zstd -dc` {Median(s3Rounds, 0, l => l.Seconds):F2} s, `tar -x` {Median(s3Rounds, 1, l => l.Seconds):F2} s, `curl` {Median(s3Rounds, 2, l => l.Seconds):F2} s " +
            $"({Median(s3Rounds, 0, l => l.CpuSeconds):F2}, {Median(s3Rounds, 1, l => l.CpuSeconds):F2} and {Median(s3Rounds, 2, l => l.CpuSeconds):F2} CPU s, s3rver's included: " +
            $"work over {cores} cores {Stats.Median(s3Rounds.Select(r => r.Work(cores))):F2} s).");
        text.AppendLine();
        var stalls = double.IsNaN(ioStall) ? " (this kernel has no /proc/pressure to say how long they waited)." : string.Create(Inv,
            $"; some task was waiting for the disk for {ioStall:F1} s of the {concurrent.Seconds:F1} s, and for a core for {cpuStall:F1} s (the kernel's pressure stall information, /proc/pressure).");
        text.AppendLine(Inv, $"{Concurrent} concurrent fetches from one s3rver: {concurrent.Seconds:F1} s in all against {Concurrent} × {single.Seconds:F2} s ({single.CpuSeconds:F2} CPU s each) = {Concurrent * single.Seconds:F1} s one after another " +
            $"(ratio {concurrent.Seconds / (Concurrent * single.Seconds):F2}); peak RSS per process {concurrentRss.Min():F0}-{concurrentRss.Max():F0} MiB (median {Stats.Median(concurrentRss):F0}), one alone {single.RssMiB:F0} MiB. " +
            $"The {Concurrent} used {concurrent.CpuSeconds:F1} CPU s and s3rver {serverConcurrent:F1} beside them: {(concurrent.CpuSeconds + serverConcurrent) / cores:F1} s of work for {cores} cores{stalls}");
        text.AppendLine();
        text.AppendLine(Inv, $"The same {Concurrent} as `curl | zstd -dc | tar -x` from the same s3rver (native, unverified): {peerConcurrent.Seconds:F1} s in all against {Concurrent} × {peerSingle.Seconds:F2} s ({peerSingle.CpuSeconds:F2} CPU s each) = {Concurrent * peerSingle.Seconds:F1} s " +
            $"(ratio {peerConcurrent.Seconds / (Concurrent * peerSingle.Seconds):F2}); the {Concurrent} used {peerConcurrent.CpuSeconds:F1} CPU s and s3rver {serverPeers:F1}; " +
            $"Modulus' {Concurrent} took {concurrent.Seconds / peerConcurrent.Seconds:F2} of their time.");
        text.AppendLine();
        text.AppendLine(Inv, $"fetch (file://) by artifact size: {string.Join("; ", sized.Select(z => string.Create(Inv, $"{z.Bytes / 1048576.0:F0} MiB in {z.Fetch.Seconds:F2} s at {z.Fetch.RssMiB:F0} MiB peak RSS")))} (goal ≤ 120 MiB at both).");
        text.AppendLine();
        text.AppendLine("| limit | s | MiB/s of artifact |");
        text.AppendLine("|---|---:|---:|");
        foreach (var (name, m) in limits)
        {
            text.AppendLine(Inv, $"| {name} | {m.Seconds:F2} | {bytes / 1048576.0 / m.Seconds:F0} |");
        }

        text.AppendLine(Inv, $"| `curl` of the blob from s3rver to /dev/null (s3rver: {serverCurlCpu:F2} CPU s) | {curl.Seconds:F2} | {bytes / 1048576.0 / curl.Seconds:F0} |");
        text.AppendLine(Inv, $"| writing 2 GiB to this disk (`dd oflag=direct`) | {disk.Seconds:F2} | {2048 / disk.Seconds:F0} (of disk) |");

        return text.ToString();
    }

    /// <summary>A bash line that runs <paramref name="command"/> (which reads its index from <c>$i</c>) <see cref="Concurrent"/> times at once and fails if any of them fails.</summary>
    private static string AllAtOnce(string command) =>
        $"pids=; for i in $(seq {Concurrent}); do {command} & pids=\"$pids $!\"; done; " +
        "fails=0; for pid in $pids; do wait $pid || fails=$((fails + 1)); done; [ $fails = 0 ]";

    /// <summary><paramref name="command"/>'s run and the CPU seconds s3rver spent meanwhile (it runs on the same cores).</summary>
    private (Measured Run, double ServerCpu) WithServer(string command)
    {
        var before = s3rver.CpuSeconds;
        var run = shell.Run(command);
        return (run, s3rver.CpuSeconds - before);
    }

    /// <summary>The seconds in which some task waited for <paramref name="resource"/> so far (/proc/pressure/*, "some" total, µs).</summary>
    private static double Pressure(string resource)
    {
        if (!File.Exists($"/proc/pressure/{resource}"))
        {
            return double.NaN;
        }

        var some = File.ReadLines($"/proc/pressure/{resource}").First(l => l.StartsWith("some ", StringComparison.Ordinal));
        return long.Parse(some[(some.IndexOf("total=", StringComparison.Ordinal) + "total=".Length)..], Inv) / 1e6;
    }

    private static double Median(IEnumerable<Pairs.LimitRound> rounds, int step, Func<Measured, double> value) => Stats.Median(rounds.Select(r => value(r.Limits[step])));
}
