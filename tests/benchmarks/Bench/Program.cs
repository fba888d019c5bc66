// make bench: Modulus beside its peers and against its limits (docs/performance.md). The transfer rows run on a
// realistic artifact (real .ko and shared libraries from this machine) against a real S3-compatible server (s3rver)
// on loopback, as N interleaved pairs (Modulus, then the peer, the next pair the other way round), min and median;
// peak RSS is GNU time's. Then the node and build figures: the image's size per platform, `status`, install in a
// VM against busybox insmod, and one driver compiled for 1, 2 and 3 kernels.
// Usage: Bench <modulus binary> <s3rver.js> <work dir> [corpus MiB, default 350] [pairs, default 3]
// BENCH_SECTIONS (default "transfers,compile,image,status,install") runs only some of them.
// Needs: tar, gzip, pigz, zstd, sha256sum, openssl, aws (the CLI), node, /usr/bin/time; podman and the kmodbuild
// stand-in, QEMU and .tools/vm-trixie, .cache/vm/modulus and artifacts/modulus-image.oci.tar (make bench makes them).
using System.Globalization;
using System.Text;
using Modulus.Bench;

var inv = CultureInfo.InvariantCulture;
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Bench <modulus> <s3rver.js> <work dir> [corpus MiB] [pairs]");
    return 2;
}

var modulus = Path.GetFullPath(args[0]);
var s3rverScript = Path.GetFullPath(args[1]);
var work = Path.GetFullPath(args[2]);
var corpusMiB = args.Length > 3 ? int.Parse(args[3], inv) : 350;
var count = args.Length > 4 ? int.Parse(args[4], inv) : 3;
var sections = (Environment.GetEnvironmentVariable("BENCH_SECTIONS") is { Length: > 0 } s ? s : "transfers,compile,image,status,install").Split(',');
if (Directory.Exists(work))
{
    Directory.Delete(work, recursive: true);
}

Directory.CreateDirectory(work);
var shell = new Shell(work);
var text = new StringBuilder();
if (sections.Contains("transfers"))
{
    var cache = Path.Combine(work, "cache");
    var artifact = Path.Combine(cache, Corpus.Gardenlinux, "6.1.0-57-amd64", $"nvidia-{Corpus.Version}-open-amd64");
    var (files, bytes) = Corpus.Build(artifact, corpusMiB);
    await Corpus.WriteManifestAsync(artifact, "6.1.0-57-amd64");
    Console.Error.WriteLine($"bench: corpus {files} files, {bytes / 1048576.0:F0} MiB (real .ko and .so), {Environment.ProcessorCount} cores, {count} pairs");
    using var s3rver = await S3rver.StartAsync(s3rverScript, Directory.CreateDirectory(Path.Combine(work, "s3rver")).FullName);
    foreach (var (name, value) in new Dictionary<string, string>
    {
        ["AWS_ACCESS_KEY_ID"] = "S3RVER", ["AWS_SECRET_ACCESS_KEY"] = "S3RVER", ["AWS_DEFAULT_REGION"] = "us-east-1", ["AWS_REGION"] = "us-east-1",
        ["MODULUS_S3_ENDPOINT"] = s3rver.Endpoint, ["MODULUS_LOG_LEVEL"] = "warning", ["AWS_EC2_METADATA_DISABLED"] = "true",
    })
    {
        shell.Environment[name] = value;
    }

    text.AppendLine(inv, $"Corpus: {files} files, {bytes / 1048576.0:F0} MiB of real `.ko` and shared libraries; {Environment.ProcessorCount} cores; {count} interleaved pairs per row; s3rver on loopback.");
    text.AppendLine();
    text.Append(await new Transfers(shell, new Pairs(shell, count), modulus, work, s3rver).RunAsync(cache, artifact, bytes));
    shell.Environment.Clear();
    Directory.Delete(cache, recursive: true);
}

var compiled = sections.Contains("compile") ? CompileScale.Run(shell, work) : null;
if (sections.Intersect(["image", "status", "install"]).Any())
{
    // The figures a node sees, each against its limit or goal.
    text.AppendLine();
    text.AppendLine("| node figure | Modulus (min / median) | limit or goal (min / median) | ratio (min / median) |");
    text.AppendLine("|---|---:|---:|---:|");
}

if (sections.Contains("image"))
{
    var sources = shell.Run($"bash '{BenchRepo.Root}/.ci/images/modulus-image.sh' --sources").Stdout.Trim();
    foreach (var row in ImageSizes.Rows(Path.Combine(BenchRepo.Root, "artifacts", "modulus-image.oci.tar"), sources))
    {
        text.AppendLine(row);
    }
}

if (sections.Contains("status"))
{
    // Time from hyperfine (no shell between it and modulus, 40 runs after 3 warm-ups; GNU time counts in 10 ms steps
    // and times the shell too), peak RSS from GNU time. An empty host root: status exits 1 there (not ready).
    var empty = Directory.CreateDirectory(Path.Combine(work, "empty-host")).FullName;
    var statusCommand = $"'{modulus}' status --host-root '{empty}' --cache-dir '{empty}/cache'";
    var timesJson = Path.Combine(work, "status.json");
    shell.Run($"hyperfine --style none -N -i -w 3 -r 40 --export-json '{timesJson}' \"{statusCommand.Replace("'", string.Empty, StringComparison.Ordinal)}\"");
    var times = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(timesJson)).RootElement.GetProperty("results")[0];
    var statusMs = times.GetProperty("median").GetDouble() * 1000;
    var statusRss = Enumerable.Range(0, 10).Select(_ => shell.Run(statusCommand, mayFail: true).RssMiB).ToList();
    var statusMiB = Stats.Median(statusRss);
    text.AppendLine(inv, $"| `status` time (hyperfine, 40 runs) | {times.GetProperty("min").GetDouble() * 1000:F1} / {statusMs:F1} ms | ≤ 20 ms | **{statusMs / 20:F2}** |");
    text.AppendLine(inv, $"| `status` peak RSS (GNU time, 10 runs) | {statusRss.Min():F1} / {statusMiB:F1} MiB | ≤ 20 MiB | **{statusMiB / 20:F2}** |");
}

if (sections.Contains("install"))
{
    var standIn = compiled is { StandIn: true } ? compiled : CompileScale.StandInForVm(shell, work);
    text.AppendLine(await VmInstall.RunAsync(shell, work, standIn.Cache, standIn.Store, standIn.Version, rounds: 6));
}

if (compiled is not null)
{
    text.AppendLine();
    text.AppendLine(compiled.Text);
}

Console.Write(text.ToString());
return 0;
