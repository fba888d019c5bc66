using Microsoft.Extensions.Logging;
using Modulus.Core.Artifacts;
using Modulus.Core.Errors;
using Modulus.Core.Processes;

namespace Modulus.Install;

internal sealed partial class Installer
{
    /// <summary>nvidia-modprobe from the artifact when it has one; mknod for whatever is still missing.</summary>
    private async Task CreateDeviceNodesAsync(string entry, int gpus, CancellationToken cancellationToken)
    {
        var modprobe = Path.Combine(entry, "bin", "nvidia-modprobe");
        if (File.Exists(modprobe))
        {
            await StepAsync("create device nodes with the artifact's nvidia-modprobe", async () =>
            {
                foreach (var arguments in Enumerable.Range(0, Math.Max(gpus, 1)).Select(i => new[] { "-c", i.ToString(System.Globalization.CultureInfo.InvariantCulture) }).Append(["-u", "-c", "0"]))
                {
                    var result = await runner.RunAsync(new ProcessSpec(modprobe, arguments) { ValidateExitCode = false }, null, cancellationToken);
                    if (result.ExitCode != 0)
                    {
                        logger.LogWarning("nvidia-modprobe {Arguments} exited with {ExitCode}; creating the nodes with mknod", string.Join(' ', arguments), result.ExitCode);
                    }
                }
            });
        }

        var majors = devices.CharacterMajors();
        var wanted = new List<(string Name, string Driver, int Minor)>();
        if (request.DryRun || majors.ContainsKey("nvidia") || majors.ContainsKey("nvidia-frontend"))
        {
            wanted.Add(("nvidiactl", "nvidia", 255));
            wanted.AddRange(Enumerable.Range(0, gpus).Select(i => ($"nvidia{i}", "nvidia", i)));
        }

        if (majors.ContainsKey("nvidia-uvm"))
        {
            wanted.Add(("nvidia-uvm", "nvidia-uvm", 0));
            wanted.Add(("nvidia-uvm-tools", "nvidia-uvm", 1));
        }

        foreach (var (name, driver, minor) in wanted.Where(w => !devices.Exists(w.Name)))
        {
            var major = majors.GetValueOrDefault(driver, majors.GetValueOrDefault("nvidia-frontend", -1));
            Step($"create /dev/{name} ({major}:{minor})", () => devices.Create(name, major, minor));
        }
    }

    /// <summary>The modules are in /sys/module, and nvidia-smi (when the artifact has it) sees as many GPUs as the PCI scan.</summary>
    private async Task ValidateAsync(string entry, IReadOnlyList<ModuleEntry> plan, int gpus, CancellationToken cancellationToken)
    {
        if (request.DryRun)
        {
            return;
        }

        var missing = plan.Where(m => modules.Get(m.Name) is null && !(m.Name == Peermem && request.Peermem == "auto")).Select(m => m.Name).ToList();
        if (missing.Count > 0)
        {
            throw new ModulusException($"after loading, {string.Join(", ", missing)} is not in /sys/module; see the kernel log (dmesg)");
        }

        var smi = Path.Combine(entry, "bin", "nvidia-smi");
        if (!File.Exists(smi))
        {
            logger.LogWarning("The artifact has no bin/nvidia-smi (its driver package carried no userspace): the modules are loaded, but nothing validates that the driver sees the GPUs");
            return;
        }

        var listed = 0;
        await runner.RunAsync(new ProcessSpec(smi, ["-L"]), line => listed += line.Text.StartsWith("GPU ", StringComparison.Ordinal) ? 1 : 0, cancellationToken);
        if (listed != gpus)
        {
            throw new ModulusException($"nvidia-smi lists {listed} GPU(s), but the PCI scan found {gpus} NVIDIA GPU(s); the driver does not see every GPU (check dmesg for NVRM errors)");
        }

        logger.LogInformation("nvidia-smi lists {Gpus} GPU(s), as the PCI scan found", listed);
    }

    private void LinkHostDriverPath(string entry)
    {
        var target = request.HostRoot != "/" && entry.StartsWith(request.HostRoot.TrimEnd('/') + "/", StringComparison.Ordinal)
            ? entry[request.HostRoot.TrimEnd('/').Length..]
            : entry;
        if (new FileInfo(DriverLink).LinkTarget != target)
        {
            Step($"link {DriverLink} to {target}", () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(DriverLink)!);
                var temp = DriverLink + ".tmp";
                File.Delete(temp);
                File.CreateSymbolicLink(temp, target);
                NativeKernel.Rename(temp, DriverLink);
            });
        }

        var conf = HostPath("etc/ld.so.conf.d/modulus-nvidia.conf");
        var line = Path.Combine(request.HostDriverPath, "nvidia", "lib") + "\n";
        if (!File.Exists(conf) || File.ReadAllText(conf) != line)
        {
            Step($"write {conf}", () =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(conf)!);
                File.WriteAllText(conf, line);
            });
        }
    }

    /// <summary>
    /// Runs the host's ldconfig so that programs on the host find the driver's libraries through the ld.so.conf.d
    /// snippet: inside the host root (<c>chroot &lt;host-root&gt; ldconfig</c>) when it is not /. A host without
    /// ldconfig gets a warning: its programs then need LD_LIBRARY_PATH.
    /// </summary>
    private static readonly string[] LdconfigLocations = ["sbin/ldconfig", "usr/sbin/ldconfig"];

    private async Task RunLdconfigAsync(CancellationToken cancellationToken)
    {
        var inHost = request.HostRoot.TrimEnd('/').Length > 0;
        var ldconfig = LdconfigLocations.FirstOrDefault(p => File.Exists(HostPath(p)));
        if (ldconfig is null)
        {
            logger.LogWarning("The host has no ldconfig under {Root}; its programs find the driver's libraries only through LD_LIBRARY_PATH={Lib}",
                request.HostRoot, Path.Combine(request.HostDriverPath, "nvidia", "lib"));
            return;
        }

        var spec = inHost ? new ProcessSpec("chroot", [request.HostRoot, "/" + ldconfig]) : new ProcessSpec("/" + ldconfig, []);
        await StepAsync($"run the host's ldconfig ({spec.CommandLine})", async () =>
        {
            try
            {
                var result = await runner.RunAsync(spec with { ValidateExitCode = false }, null, cancellationToken);
                if (result.ExitCode != 0)
                {
                    logger.LogWarning("{Command} exited with {ExitCode}; the host's library cache may not list the driver's libraries", spec.CommandLine, result.ExitCode);
                }
            }
            catch (ModulusException e) when (e is not CommandFailedException)
            {
                // The driver is live by now: a missing chroot in the image must not fail the install.
                logger.LogWarning("Could not run {Command} ({Error}); the host's library cache may not list the driver's libraries", spec.CommandLine, e.Message);
            }
        });
    }

    private async Task StartPersistencedAsync(string entry, CancellationToken cancellationToken)
    {
        var persistenced = Path.Combine(entry, "bin", "nvidia-persistenced");
        if (request.StartPersistenced && File.Exists(persistenced))
        {
            await StepAsync("start nvidia-persistenced", () => runner.RunAsync(new ProcessSpec(persistenced, ["--verbose"]), null, cancellationToken));
        }
    }
}
