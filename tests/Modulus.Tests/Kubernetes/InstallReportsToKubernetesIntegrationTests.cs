using System.Text.Json.Nodes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Kubernetes;

/// <summary>`modulus install` as a process, reporting to a stand-in Kubernetes API server through a kubeconfig.</summary>
public sealed class InstallReportsToKubernetesIntegrationTests : IAsyncLifetime
{
    private readonly TempDirectory dir = new();
    private KubernetesApiStandIn api = null!;

    public Task InitializeAsync()
    {
        api = new KubernetesApiStandIn();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        dir.Dispose();
    }

    [Fact(Timeout = TestTimeouts.Build)]
    public async Task A_failed_install_records_a_warning_event_removes_the_ready_label_and_takes_the_version_from_os_version()
    {
        api.Labels["os-version"] = "1592.3";
        api.Labels["modulus.gardenlinux.io/nvidia-driver-ready"] = "true";
        var kubeconfig = await api.WriteKubeconfigAsync(dir.Combine("kubeconfig"), "installer-token");
        RunningKernel("6.6.62-cloud-amd64");
        var gpu = dir.Combine("host", "sys", "bus", "pci", "devices", "0000:17:00.0");
        Directory.CreateDirectory(gpu);
        await File.WriteAllTextAsync(Path.Combine(gpu, "vendor"), "0x10de\n");
        await File.WriteAllTextAsync(Path.Combine(gpu, "device"), "0x2330\n");
        await File.WriteAllTextAsync(Path.Combine(gpu, "class"), "0x030200\n");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [
            "install", "--driver-version", "550.127.08", "--host-root", dir.Combine("host"),
            "--cache-dir", dir.Combine("cache"), "--store", "file://" + dir.Combine("store"), "--node-name", "gpu-node-7", "--kubeconfig", kubeconfig]);

        code.Should().Be(3, run.Output);
        run.Stderr.Should().Contain("for Garden Linux 1592.3 it holds nothing", "the version came from the node's os-version label");
        api.Labels.Should().NotContainKey("modulus.gardenlinux.io/nvidia-driver-ready");
        var ev = JsonNode.Parse(api.Requests.Single(r => r.Method == "POST").Body)!;
        ((string?)ev["reason"]).Should().Be("NvidiaDriverNotInStore");
        ((string?)ev["type"]).Should().Be("Warning");
        ((string?)ev["message"]).Should().Contain("nvidia-550.127.08-proprietary-amd64/manifest.json");
        api.Requests.Should().OnlyContain(r => r.Authorization == "Bearer installer-token");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_node_without_an_nvidia_gpu_loads_nothing_exits_0_and_says_so_to_kubernetes()
    {
        api.Labels["os-version"] = "1592.3";
        var kubeconfig = await api.WriteKubeconfigAsync(dir.Combine("kubeconfig"), "installer-token");
        Directory.CreateDirectory(dir.Combine("host", "sys", "bus", "pci", "devices"));
        RunningKernel("6.6.62-cloud-amd64");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [
            "install", "--driver-version", "580.159.04", "--host-root", dir.Combine("host"),
            "--cache-dir", dir.Combine("cache"), "--store", "file://" + dir.Combine("store"), "--node-name", "cpu-node-1", "--kubeconfig", kubeconfig]);

        code.Should().Be(0, "a node without a GPU is no reason to crash-loop the pod: " + run.Output);
        run.Stdout.Should().Contain("no NVIDIA GPU on this node").And.Contain("nothing was loaded");
        api.Labels["modulus.gardenlinux.io/nvidia-driver-ready"].Should().Be("false");
        var ev = JsonNode.Parse(api.Requests.Single(r => r.Method == "POST").Body)!;
        ((string?)ev["reason"]).Should().Be("NvidiaGpuNotFound");
        Directory.Exists(dir.Combine("cache", "1592.3")).Should().BeFalse("nothing was fetched");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_nodes_own_version_wins_over_the_operators_with_one_warning_and_one_event()
    {
        api.Labels["os-version"] = "1592.3";
        var kubeconfig = await api.WriteKubeconfigAsync(dir.Combine("kubeconfig"), "installer-token");
        Directory.CreateDirectory(dir.Combine("host", "sys", "bus", "pci", "devices"));
        Directory.CreateDirectory(dir.Combine("host", "etc"));
        await File.WriteAllTextAsync(dir.Combine("host", "etc", "os-release"), "ID=gardenlinux\nNAME=\"Garden Linux\"\nPRETTY_NAME=\"Garden Linux 1877.6\"\nGARDENLINUX_VERSION=1877.6\n");
        RunningKernel("6.12.44-cloud-amd64");

        var (code, run) = await ChildProcess.RunAsync(Repo.Modulus, [
            "install", "--driver-version", "580.159.04", "--gardenlinux-version", "1877.3", "--kernel-version", "6.12.40-cloud-amd64",
            "--host-root", dir.Combine("host"), "--cache-dir", dir.Combine("cache"), "--store", "file://" + dir.Combine("store"),
            "--node-name", "gpu-node-3", "--kubeconfig", kubeconfig]);

        code.Should().Be(0, "a node without a GPU: " + run.Output);
        run.Stderr.Should().Contain("Garden Linux 1877.6's kernel accepts the GSP firmware", "the node's os-release decided, not the option nor the label");
        var ignored = api.Requests.Where(r => r.Method == "POST").Select(r => JsonNode.Parse(r.Body)!)
            .Where(e => (string?)e["reason"] == "NvidiaInstallerSettingIgnored").Should().ContainSingle().Subject;
        ((string?)ignored["type"]).Should().Be("Warning");
        ((string?)ignored["message"]).Should().Contain("--gardenlinux-version 1877.3 is ignored").And.Contain("os-release says 1877.6")
            .And.Contain("--kernel-version 6.12.40-cloud-amd64 is ignored, the running kernel is 6.12.44-cloud-amd64");
        run.Stderr.Should().Contain("--gardenlinux-version 1877.3 is ignored", "the warning is logged as well");
    }

    private void RunningKernel(string release)
    {
        Directory.CreateDirectory(dir.Combine("host", "proc", "sys", "kernel"));
        File.WriteAllText(dir.Combine("host", "proc", "sys", "kernel", "osrelease"), release + "\n");
    }
}
