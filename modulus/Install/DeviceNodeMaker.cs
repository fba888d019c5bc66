using System.Globalization;
using Microsoft.Extensions.Logging;
using Modulus.Core.Processes;

namespace Modulus.Install;

/// <summary>The driver's device nodes: nvidia-modprobe from the artifact when it has one; mknod for whatever is still missing.</summary>
internal sealed class DeviceNodeMaker(IDeviceNodes devices, IProcessRunner runner, ILogger logger)
{
    public async Task CreateAsync(InstallRun run, Core.Artifacts.Manifest manifest, int gpus, CancellationToken cancellationToken)
    {
        var modprobe = Path.Combine(run.Entry, Core.Artifacts.ArtifactLayout.Of(manifest).Programs, "nvidia-modprobe");
        if (File.Exists(modprobe))
        {
            await run.DoAsync("create device nodes with the artifact's nvidia-modprobe", async () =>
            {
                foreach (var arguments in Enumerable.Range(0, Math.Max(gpus, 1)).Select(i => new[] { "-c", i.ToString(CultureInfo.InvariantCulture) }).Append(["-u", "-c", "0"]))
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
        if (run.DryRun || majors.ContainsKey("nvidia") || majors.ContainsKey("nvidia-frontend"))
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
            run.Do($"create /dev/{name} ({major}:{minor})", () => devices.Create(name, major, minor));
        }
    }
}
