namespace Modulus.Tests.Fixtures;

/// <summary>
/// A stand-in for NVIDIA's fabric manager package (nvidia-fabricmanager-&lt;branch&gt;_&lt;version&gt;-1_&lt;arch&gt;.deb from
/// NVIDIA's CUDA repository), built with the real dpkg-deb in the shape Garden Linux's installer uses of it:
/// <c>/usr/bin/nv-fabricmanager</c> and <c>/usr/share/nvidia/nvswitch/fabricmanager.cfg</c> with NVIDIA's default
/// keys, a topology file, plus what a package carries beside them (docs, a systemd unit). Its nv-fabricmanager is a
/// shell script that prints its arguments and the configuration it was given, then exits 0.
/// </summary>
public static class FabricManagerDeb
{
    public static async Task<string> CreateAsync(string dir, string version = "999.1.2", string arch = "amd64", string? package = null)
    {
        var root = Path.Combine(dir, $"fm-root-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
        await File.WriteAllTextAsync(Path.Combine(root, "DEBIAN", "control"),
            $"Package: {package ?? "nvidia-fabricmanager-" + version.Split('.')[0]}\nVersion: {version}-1\nArchitecture: {arch}\nMaintainer: stand-in <test@example.invalid>\nDescription: stand-in of NVIDIA's fabric manager\n");
        var bin = Path.Combine(root, "usr", "bin");
        Directory.CreateDirectory(bin);
        await File.WriteAllTextAsync(Path.Combine(bin, "nv-fabricmanager"),
            "#!/bin/sh\necho \"nv-fabricmanager stand-in: $*\"\ngrep -E '^(DAEMONIZE|LOG_FILE_NAME|TOPOLOGY_FILE_PATH|STATE_FILE_NAME)=' \"$2\"\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(bin, "nv-fabricmanager"), (UnixFileMode)0b111_101_101);
        var share = Path.Combine(root, "usr", "share", "nvidia", "nvswitch");
        Directory.CreateDirectory(share);
        await File.WriteAllTextAsync(Path.Combine(share, "fabricmanager.cfg"),
            "# NVIDIA Fabric Manager configuration (stand-in with NVIDIA's default keys)\nLOG_LEVEL=4\nLOG_FILE_NAME=/var/log/fabricmanager.log\nLOG_APPEND_TO_LOG=1\n" +
            "DAEMONIZE=1\nBIND_INTERFACE_IP=127.0.0.1\nSTARTING_TCP_PORT=16000\nFABRIC_MODE=0\nTOPOLOGY_FILE_PATH=/usr/share/nvidia/nvswitch\nSTATE_FILE_NAME=/tmp/fabricmanager.state\n");
        await File.WriteAllTextAsync(Path.Combine(share, "dgxh100_hgxh100_topology"), "stand-in topology\n");
        Directory.CreateDirectory(Path.Combine(root, "usr", "share", "doc", "nvidia-fabricmanager"));
        await File.WriteAllTextAsync(Path.Combine(root, "usr", "share", "doc", "nvidia-fabricmanager", "copyright"), "stand-in\n");
        Directory.CreateDirectory(Path.Combine(root, "lib", "systemd", "system"));
        await File.WriteAllTextAsync(Path.Combine(root, "lib", "systemd", "system", "nvidia-fabricmanager.service"), "[Service]\nExecStart=/usr/bin/nv-fabricmanager -c /usr/share/nvidia/nvswitch/fabricmanager.cfg\n");

        var deb = Path.Combine(dir, $"nvidia-fabricmanager-{version.Split('.')[0]}_{version}-1_{arch}.deb");
        var (code, run) = await ChildProcess.RunAsync("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", root, deb], timeout: TestTimeouts.QuickSpan);
        code.Should().Be(0, run.Output);
        return deb;
    }
}
