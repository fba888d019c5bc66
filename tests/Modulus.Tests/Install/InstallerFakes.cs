using Modulus.Core.Processes;
using Modulus.Drivers;
using Modulus.Install;

namespace Modulus.Tests.Install;

/// <summary>A kernel in memory: modules load with the version the test says, and remember the order.</summary>
internal sealed class FakeKernelModules(Func<string, string?> versionOf) : IKernelModules
{
    public Dictionary<string, LoadedModule> Loaded { get; } = [];

    public List<string> Calls { get; } = [];

    public string? FirmwarePath { get; private set; }

    /// <summary>Module name → errno its load fails with, after <see cref="KernelSays"/> is logged.</summary>
    public Dictionary<string, int> Failures { get; } = [];

    /// <summary>What the kernel logs when a load fails (the test's <see cref="FakeKernelLog"/> lines).</summary>
    public List<string>? KernelLog { get; set; }

    public List<string> KernelSays { get; } = [];

    public LoadedModule? Get(string name) => Loaded.GetValueOrDefault(name);

    public void Load(string path, string parameters)
    {
        var name = Path.GetFileNameWithoutExtension(path).Replace('-', '_');
        Calls.Add($"load {name}{(parameters.Length > 0 ? " " + parameters : string.Empty)}");
        if (Failures.TryGetValue(name, out var errno))
        {
            KernelLog?.AddRange(KernelSays);
            throw new IOException($"loading {path} failed: errno {errno}", errno);
        }

        Loaded[name] = new LoadedModule(name, versionOf(path), 0, []);
    }

    /// <summary>Module name → errno its removal fails with (delete_module's IOException, as NativeKernel throws it).</summary>
    public Dictionary<string, int> UnloadFailures { get; } = [];

    public void Unload(string name)
    {
        Calls.Add($"unload {name}");
        if (UnloadFailures.TryGetValue(name, out var errno))
        {
            throw new IOException($"unloading {name} failed: errno {errno}", errno);
        }

        Loaded.Remove(name);
    }

    public bool SetFirmwarePath(string path)
    {
        FirmwarePath = path;
        return true;
    }

    public string? GetFirmwarePath() => FirmwarePath ?? string.Empty;
}

internal sealed class FakeDeviceNodes : IDeviceNodes
{
    public Dictionary<string, int> Majors { get; } = new() { ["nvidia"] = 195, ["nvidia-uvm"] = 510 };

    public Dictionary<string, (int Major, int Minor)> Nodes { get; } = [];

    public IReadOnlyDictionary<string, int> CharacterMajors() => Majors;

    public bool Exists(string name) => Nodes.ContainsKey(name);

    public void Create(string name, int major, int minor) => Nodes[name] = (major, minor);
}

/// <summary>NVIDIA GPUs on made-up PCI addresses; H100s (10de:2330) unless the test gives device ids.</summary>
internal sealed class FakePciScanner(int gpus, int deviceId = 0x2330) : IPciScanner
{
    public IReadOnlyList<PciGpu> NvidiaGpus() => [.. Enumerable.Range(0, gpus).Select(i => new PciGpu($"0000:{0x17 + i:x2}:00.0", deviceId))];
}

/// <summary>Answers `nvidia-smi -L` with the given number of GPUs; every other program succeeds silently.</summary>
internal sealed class FakeProcessRunner(int smiGpus) : IProcessRunner
{
    public List<string> Ran { get; } = [];

    public Task<ProcessResult> RunAsync(ProcessSpec spec, Action<OutputLine>? onOutput, CancellationToken cancellationToken)
    {
        Ran.Add(Path.GetFileName(spec.Program) + " " + string.Join(' ', spec.Arguments));
        if (spec.Program.EndsWith("nvidia-smi", StringComparison.Ordinal))
        {
            for (var i = 0; i < smiGpus; i++)
            {
                onOutput?.Invoke(new OutputLine(OutputStream.Stdout, $"GPU {i}: Fake (UUID: GPU-{i})"));
            }
        }

        return Task.FromResult(new ProcessResult(0, TimeSpan.Zero, []));
    }
}

/// <summary>An install's fallback compile that returns what the test says (the directory of a build it made).</summary>
internal sealed class FakeCompiler(Func<string> compile) : IArtifactCompiler
{
    public Task<string> CompileAsync(Modulus.Core.Artifacts.ArtifactKey key, CancellationToken cancellationToken) => Task.FromResult(compile());
}

/// <summary>A kernel log that says what the test wants once the next module load is attempted.</summary>
internal sealed class FakeKernelLog : IKernelLog
{
    public List<string> Lines { get; } = [];

    public IKernelLogReader Follow() => new Reader(this);

    private sealed class Reader(FakeKernelLog log) : IKernelLogReader
    {
        private int position = log.Lines.Count;

        public IReadOnlyList<string> ReadNew()
        {
            var lines = log.Lines.Skip(position).ToList();
            position = log.Lines.Count;
            return lines;
        }

        public void Dispose()
        {
        }
    }
}
