using System.Text.Json.Nodes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Install;

/// <summary>
/// NVIDIA's own tools (../shared/nvidia-tools: the GPU Operator's validator and the container toolkit's nvidia-ctk)
/// against a driver Modulus compiled, published and fetched onto a node's root, seen as the GPU Operator's pods see
/// it: the node's root read-only at /host and the driver path (<c>hostPaths.driverInstallDir</c>) as a hostPath
/// volume, each in a mount namespace of its own (<see cref="ContainerView"/>), with the API stand-in as the
/// Kubernetes API. Their lookups are NVIDIA's; nothing here re-implements them.
/// </summary>
public sealed class NvidiaToolsIntegrationTests(CompiledNvidiaArtifact artifact) : IClassFixture<CompiledNvidiaArtifact>, IDisposable
{
    private const string Namespace = "gpu-operator";
    private const string Tools = "/opt/nvidia-tools";
    private const string Validations = "/run/nvidia/validations";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);
    private static readonly string Version = CompiledNvidiaArtifact.Version;
    private readonly TempDirectory dir = new("modulus-nvidia-tools-");

    public void Dispose() => dir.Dispose();

    /// <summary>
    /// The operator with <c>driver.enabled=false</c> and <c>hostPaths.driverInstallDir=/opt/drivers/nvidia</c>: the
    /// toolkit's driver-validation init container gets the driver path mounted at the same path and these variables
    /// (gpu-operator controllers/object_controls.go, transformForDriverInstallDir), then the toolkit sources the
    /// validator's driver-ready file and generates the management CDI spec from the container paths it names
    /// (nvidia-container-toolkit cmd/nvidia-ctk-installer/toolkit/toolkit.go, generateCDISpec).
    /// </summary>
    [NvidiaToolsFact]
    public async Task The_validator_finds_the_driver_in_the_driver_path_and_the_toolkit_spec_names_its_libraries_nvidia_smi_and_firmware()
    {
        var host = await DriverHostRoot.CreateAsync(artifact, dir);
        await using var api = new KubernetesApiStandIn(tls: true);
        var validations = Directory.CreateDirectory(dir.Combine("validations")).FullName;

        var (code, validator) = await new ContainerView(host.Root)
            .HostPath(DriverHostRoot.DriverPath, DriverHostRoot.DriverPath)
            .Directory(validations, Validations)
            .Directory(Directory.CreateDirectory(dir.Combine("dev-char")).FullName, "/host-dev-char")
            .Directory(await ServiceAccountAsync(api), "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true)
            .Directory(NvidiaTools.Directory, Tools, readOnly: true)
            .RunAsync(Tools + "/nvidia-validator", [], ValidatorEnvironment(new()
            {
                ["OPERATOR_NAMESPACE"] = Namespace,
                ["KUBERNETES_SERVICE_HOST"] = api.Server.Host,
                ["KUBERNETES_SERVICE_PORT"] = api.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["DRIVER_INSTALL_DIR"] = DriverHostRoot.DriverPath,
                ["DRIVER_INSTALL_DIR_CTR_PATH"] = DriverHostRoot.DriverPath,
            }), Timeout);

        code.Should().Be(0, validator.Output);
        validator.Output.Should().Contain("No pre-installed driver detected on the host")
            .And.Contain("Attempting to validate a driver container installation")
            .And.Contain($"Driver Version: {Version}", "the validator ran the driver's nvidia-smi with LD_PRELOAD of the libnvidia-ml.so.1 it found");
        api.Requests.Should().ContainSingle(r => r.Method == "GET" && r.Path.StartsWith($"/apis/apps/v1/namespaces/{Namespace}/daemonsets?", StringComparison.Ordinal))
            .Which.Authorization.Should().Be("Bearer validator-token", "it asked, with its service account, whether the operator manages a driver here");
        var ready = ReadStatus(Path.Combine(validations, "driver-ready"));
        ready.Should().Contain(new Dictionary<string, string>
        {
            ["IS_HOST_DRIVER"] = "false", ["NVIDIA_DRIVER_ROOT"] = DriverHostRoot.DriverPath, ["DRIVER_ROOT_CTR_PATH"] = "/driver-root",
            ["NVIDIA_DEV_ROOT"] = "/", ["DEV_ROOT_CTR_PATH"] = ContainerView.HostRoot,
        });

        // The toolkit container: the driver path at /driver-root, the node at /host (gpu-operator assets/state-container-toolkit/0500_daemonset.yaml).
        var (generated, ctk) = await new ContainerView(host.Root)
            .HostPath(DriverHostRoot.DriverPath, "/driver-root")
            .Directory(NvidiaTools.Directory, Tools, readOnly: true)
            .RunAsync(Tools + "/nvidia-ctk", ["cdi", "generate", "--mode=management", "--format=json",
                "--driver-root=" + ready["DRIVER_ROOT_CTR_PATH"], "--dev-root=" + ready["DEV_ROOT_CTR_PATH"]],
                new Dictionary<string, string> { ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }, Timeout);

        generated.Should().Be(0, ctk.Output);
        var spec = JsonNode.Parse(ctk.Stdout)!;
        var mounts = spec["containerEdits"]!["mounts"]!.AsArray().Select(m => ((string)m!["hostPath"]!, (string)m["containerPath"]!)).ToList();
        mounts.Should().Contain(
            [
                ($"/driver-root/usr/lib/x86_64-linux-gnu/libcuda.so.{Version}", $"/usr/lib/x86_64-linux-gnu/libcuda.so.{Version}"),
                ($"/driver-root/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.{Version}", $"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.{Version}"),
                ("/driver-root/bin/nvidia-smi", "/bin/nvidia-smi"),
                ($"/driver-root/lib/firmware/nvidia/{Version}/gsp_ga10x.bin", $"/lib/firmware/nvidia/{Version}/gsp_ga10x.bin"),
                ($"/driver-root/lib/firmware/nvidia/{Version}/gsp_tu10x.bin", $"/lib/firmware/nvidia/{Version}/gsp_tu10x.bin"),
            ], ctk.Stderr);
        spec["containerEdits"]!["env"]!.AsArray().Select(e => (string)e!).Should().Contain("NVIDIA_CTK_LIBCUDA_DIR=/usr/lib/x86_64-linux-gnu");
        spec["devices"]!.AsArray().Should().ContainSingle().Which!["containerEdits"]!["deviceNodes"]!.AsArray()
            .Select(d => ((string)d!["path"]!, (string)d["hostPath"]!)).Should().Contain(("/dev/nvidiactl", "/host/dev/nvidiactl"));
    }

    /// <summary>
    /// Before it looks at the driver path, the validator looks for the node's own nvidia-smi under /host (/usr/bin,
    /// /usr/sbin, /bin, /sbin, /opt/bin) and runs it with <c>chroot /host</c>: a node whose nvidia-smi is the driver's
    /// counts as one with a pre-installed driver (gpu-operator cmd/nvidia-validator/main.go, validateHostDriver).
    /// </summary>
    [NvidiaToolsFact]
    public async Task The_validators_host_check_runs_the_nodes_nvidia_smi_through_chroot_where_it_is_the_drivers()
    {
        var host = await DriverHostRoot.CreateAsync(artifact, dir);
        host.LinkNvidiaSmiAsTheHosts();
        var validations = Directory.CreateDirectory(dir.Combine("validations")).FullName;

        var (code, validator) = await new ContainerView(host.Root)
            .Directory(validations, Validations)
            .Directory(Directory.CreateDirectory(dir.Combine("dev-char")).FullName, "/host-dev-char")
            .Directory(NvidiaTools.Directory, Tools, readOnly: true)
            .RunAsync(Tools + "/nvidia-validator", [], ValidatorEnvironment([]), Timeout);

        code.Should().Be(0, validator.Output);
        validator.Output.Should().Contain("Detected a pre-installed driver on the host").And.Contain($"Driver Version: {Version}");
        ReadStatus(Path.Combine(validations, "driver-ready")).Should().Contain(new Dictionary<string, string>
        {
            ["IS_HOST_DRIVER"] = "true", ["NVIDIA_DRIVER_ROOT"] = "/", ["DRIVER_ROOT_CTR_PATH"] = ContainerView.HostRoot,
        });
    }

    /// <summary>
    /// COMPONENT=driver without waiting. DISABLE_DEV_CHAR_SYMLINK_CREATION (an operator setting) skips the last step,
    /// /dev/char links, which needs NVIDIA's majors in /proc/devices: this machine's kernel has no NVIDIA module.
    /// </summary>
    private static Dictionary<string, string> ValidatorEnvironment(Dictionary<string, string> more)
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["COMPONENT"] = "driver",
            ["WITH_WAIT"] = "false",
            ["DISABLE_DEV_CHAR_SYMLINK_CREATION"] = "true",
        };
        foreach (var (name, value) in more)
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>The service account volume in-cluster config reads: a token and the API server's CA.</summary>
    private async Task<string> ServiceAccountAsync(KubernetesApiStandIn api)
    {
        var account = Directory.CreateDirectory(dir.Combine("serviceaccount")).FullName;
        await File.WriteAllTextAsync(Path.Combine(account, "token"), "validator-token");
        await File.WriteAllTextAsync(Path.Combine(account, "ca.crt"), api.CertificateAuthority!.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(account, "namespace"), Namespace);
        return account;
    }

    /// <summary>The validator's status file: KEY=VALUE lines, which the toolkit's entrypoint sources.</summary>
    private static Dictionary<string, string> ReadStatus(string path) =>
        File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
