using System.Globalization;
using System.Text.RegularExpressions;
using Modulus.Core.Artifacts;

namespace Modulus.Bench;

/// <summary>
/// Install time on a node against its limit (issue 23): in Debian trixie's 6.12 under QEMU (TCG, one vCPU; the
/// kernel of the stand-in's default headers), busybox <c>insmod</c> of the same files install loads (the in-tree drm
/// with what it needs, then the artifact's modules) against <c>modulus install</c> from a file:// store into an empty
/// cache: fetch, verify, load, device nodes, nvidia-smi, host links. tests/vm/init-bench.sh runs the rounds.
/// </summary>
internal static partial class VmInstall
{
    private const string Kernel = "vm-trixie";

    public static async Task<string> RunAsync(Shell shell, string work, string cache, string store, string version, int rounds)
    {
        var tools = Path.Combine(BenchRepo.Root, ".tools", Kernel);
        var release = File.ReadAllLines(Path.Combine(tools, "kernel.env")).Single(l => l.StartsWith("RELEASE=", StringComparison.Ordinal))["RELEASE=".Length..];
        var artifact = Path.Combine(cache, Corpus.Gardenlinux, release, $"nvidia-{version}-open-amd64");
        if (!Directory.Exists(artifact))
        {
            throw new InvalidOperationException($"bench: the compile built nothing for the VM's kernel {release} (in {cache}): the kmodbuild stand-in's default headers and .tools/{Kernel} must be the same trixie kernel (make prereqs, then rebuild the stand-in)");
        }

        var manifest = await ManifestFile.ReadAsync(artifact, CancellationToken.None);
        var dir = Path.Combine(work, "vm");
        var root = Path.Combine(dir, "root");
        Directory.CreateDirectory(Path.Combine(root, "opt", "modulus"));
        Directory.CreateDirectory(Path.Combine(root, "limit"));
        File.Copy(Path.Combine(BenchRepo.Root, ".cache", "vm", "modulus", "modulus"), Path.Combine(root, "opt", "modulus", "modulus"));
        File.Copy(Path.Combine(BenchRepo.Root, "tests", "vm", "init-bench.sh"), Path.Combine(root, "init"));
        shell.Run($"cp -a '{store}' '{root}/store' && VM_KERNEL={Kernel} sh '{BenchRepo.Root}/tests/vm/add-in-tree-modules.sh' '{root}' drm");

        // The limit loads what install loads, in its order: drm after what modules.dep says it needs (last listed first), then the artifact's modules.
        var moduleDir = $"/lib/modules/{release}";
        var drm = File.ReadAllLines(Path.Combine(root, moduleDir.TrimStart('/'), "modules.dep")).Single(l => l.Split(':')[0].EndsWith("/drm.ko.xz", StringComparison.Ordinal)).Split(':');
        var insmod = drm[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Reverse().Append(drm[0]).Select(f => $"{moduleDir}/{f}").ToList();
        foreach (var module in manifest.Modules)
        {
            File.Copy(Path.Combine(artifact, module.Path), Path.Combine(root, "limit", Path.GetFileName(module.Path)));
            insmod.Add("/limit/" + Path.GetFileName(module.Path));
        }

        await File.WriteAllTextAsync(Path.Combine(root, "bench.env"), $"ROUNDS={rounds}\nDRIVER_VERSION={version}\nINSMOD=\"{string.Join(' ', insmod)}\"\n");
        Console.Error.WriteLine($"bench: install in {release} under QEMU, {rounds} rounds: {insmod.Count} modules");
        var serial = shell.Run($"VM_KERNEL={Kernel} sh '{BenchRepo.Root}/tests/vm/boot.sh' '{root}' '{dir}' 1536").Stdout;
        foreach (var line in serial.Split('\n').Where(l => l.Contains("MODULUS-VM: round", StringComparison.Ordinal)))
        {
            Console.Error.WriteLine("bench: " + line.Trim());
        }

        var found = Round().Matches(serial).Select(m => (
            Limit: double.Parse(m.Groups["limit"].Value, CultureInfo.InvariantCulture), LimitModules: int.Parse(m.Groups["lm"].Value, CultureInfo.InvariantCulture), LimitExit: m.Groups["le"].Value,
            Install: double.Parse(m.Groups["install"].Value, CultureInfo.InvariantCulture), InstallModules: int.Parse(m.Groups["im"].Value, CultureInfo.InvariantCulture), InstallExit: m.Groups["ie"].Value)).ToList();
        if (found.Count != rounds || found.Any(r => r.LimitExit != "0" || r.InstallExit != "0" || r.LimitModules != insmod.Count || r.InstallModules != insmod.Count))
        {
            throw new InvalidOperationException($"bench: the VM's rounds did not all load the {insmod.Count} modules both ways:\n{serial}");
        }

        // The first round runs every program for the first time, and QEMU's TCG translates each block of guest code on
        // its first run, which a real CPU does not do: it is reported beside the row, which is made of the rounds after.
        var first = found[0];
        var steady = found.Skip(1).ToList();
        var ratios = steady.Select(r => r.Install / r.Limit).ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"| install in the VM ({release}, QEMU TCG, 1 vCPU; rounds 2-{rounds}) vs busybox `insmod` of the same {insmod.Count} files (the limit) | " +
            $"{steady.Min(r => r.Install):F2} / {Stats.Median(steady.Select(r => r.Install)):F2} s | {steady.Min(r => r.Limit):F2} / {Stats.Median(steady.Select(r => r.Limit)):F2} s | " +
            $"**{ratios.Min():F1} / {Stats.Median(ratios):F1}** |\n" +
            $"| install in the VM, round 1 (TCG translating every program's code on its first run) | {first.Install:F2} s | {first.Limit:F2} s | **{first.Install / first.Limit:F1}** |");
    }

    [GeneratedRegex(@"MODULUS-VM: round \d+ limit (?<limit>[0-9.]+) s \((?<lm>\d+) modules, exit=(?<le>\d+)\) install (?<install>[0-9.]+) s \((?<im>\d+) modules, exit=(?<ie>\d+)\)")]
    private static partial Regex Round();
}
