using System.Text.Json.Nodes;
using Modulus.Tests.Fixtures;

namespace Modulus.Tests.Chart;

/// <summary>The chart's fleet defaults, rendered by the real helm: scheduling, least privilege, probes, metrics, notes.</summary>
public sealed class ChartFleetIntegrationTests : IDisposable
{
    private const string Required = """
        driverBucketSecret: nvidia-driver-bucket-read
        gardenlinuxVersion: 184.0.0
        nvidiaInstaller:
          driverVersion: "450.80.02"
        """;

    private readonly TempDirectory dir = new();

    public void Dispose() => dir.Dispose();

    private string Values(string content)
    {
        var path = dir.Combine($"values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, content);
        return path;
    }

    private static JsonNode PodSpec(IReadOnlyList<JsonObject> objects) =>
        objects.Single(o => (string?)o["kind"] == "DaemonSet")["spec"]!["template"]!["spec"]!;

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task An_installer_with_only_the_required_values_is_refused_it_would_land_on_every_node()
    {
        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Values(Required));

        code.Should().NotBe(0);
        run.Stderr.Should().Contain("values don't meet the specifications of the schema").And.Contain("Must validate \"then\" as \"if\" was valid")
            .And.Contain("nvidiaInstaller.nodeAffinity: Must have at least 1 properties");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task A_node_selector_pull_secrets_extra_env_and_pod_metadata_reach_the_pods_and_gpu_taints_are_tolerated_by_default()
    {
        var (_, objects) = await Helm.TemplateAsync(Values(Required + """

            nodeSelector: { gpu: "true", os-version: "184.0.0" }
            imagePullSecrets: [ { name: registry-creds } ]
            extraEnv: [ { name: HTTPS_PROXY, value: "http://proxy:3128" } ]
            podLabels: { team: ml }
            podAnnotations: { owner: platform }
            """));

        var spec = PodSpec(objects);
        spec["nodeSelector"]!.ToJsonString().Should().Be("""{"gpu":"true","os-version":"184.0.0"}""");
        spec["imagePullSecrets"]!.ToJsonString().Should().Be("""[{"name":"registry-creds"}]""");
        spec["tolerations"]!.ToJsonString().Should().Be("""[{"effect":"NoSchedule","key":"nvidia.com/gpu","operator":"Exists"}]""", "GPU taints only, not every taint");
        var template = objects.Single(o => (string?)o["kind"] == "DaemonSet")["spec"]!["template"]!["metadata"]!;
        ((string?)template["labels"]!["team"]).Should().Be("ml");
        ((string?)template["annotations"]!["owner"]).Should().Be("platform");
        foreach (var container in spec["initContainers"]!.AsArray().Concat(spec["containers"]!.AsArray()))
        {
            container!["env"]!.AsArray().Should().Contain(e => (string?)e!["name"] == "HTTPS_PROXY", (string?)container["name"]);
            container["resources"]!["requests"].Should().NotBeNull($"{container["name"]} has resources");
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Unknown_top_level_keys_are_refused()
    {
        var (code, run) = await Helm.RunAsync("template", "gpu", Helm.Chart, "-f", Values(Required), "--set-string", "nodeSelector.gpu=true", "--set", "nodeSelectr.gpu=true");

        code.Should().NotBe(0);
        run.Stderr.Should().Contain("Additional property nodeSelectr is not allowed");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_compiler_gets_no_role_and_no_token_and_runs_unprivileged_containers_with_the_runtime_seccomp_profile()
    {
        var (_, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "compiler-values.yaml"));

        objects.Select(o => (string?)o["kind"]).Should().NotContain(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
        var spec = PodSpec(objects);
        ((string?)spec["automountServiceAccountToken"]).Should().Be("false");
        foreach (var container in spec["containers"]!.AsArray())
        {
            ((string?)container!["securityContext"]!["seccompProfile"]!["type"]).Should().Be("RuntimeDefault", (string?)container["name"]);
            container["resources"]!["requests"].Should().NotBeNull();
        }
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_installers_role_is_namespaced_by_name_and_grants_exactly_what_the_pods_do()
    {
        var (_, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "installer-values.yaml"));

        var role = objects.Single(o => (string?)o["kind"] == "ClusterRole");
        ((string?)role["metadata"]!["name"]).Should().Be("kube-system-gpu-installer");
        role["rules"]!.AsArray().Select(r => $"{string.Join(',', r!["resources"]!.AsArray().Select(x => (string?)x))}: {string.Join(',', r["verbs"]!.AsArray().Select(x => (string?)x))}")
            .Should().Equal("nodes: get,patch", "nodes/status: patch");
        ((string?)objects.Single(o => (string?)o["kind"] == "ClusterRoleBinding")["roleRef"]!["name"]).Should().Be("kube-system-gpu-installer");
        var events = objects.Single(o => (string?)o["kind"] == "Role");
        ((string?)events["metadata"]!["namespace"]).Should().Be("kube-system", "events are recorded in the release namespace only");
        events["rules"]!.ToJsonString().Should().Be("""[{"apiGroups":[""],"resources":["events"],"verbs":["create","patch"]}]""");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_metrics_switch_adds_a_service_and_a_service_monitor_for_the_watch_containers_port()
    {
        var (_, off) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "installer-values.yaml"));
        var (yaml, on) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "installer-values.yaml"),
            "--set", "metrics.service.enabled=true", "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.port=9500");

        off.Select(o => (string?)o["kind"]).Should().NotContain(["Service", "ServiceMonitor"]);
        var service = on.Single(o => (string?)o["kind"] == "Service");
        ((string?)service["spec"]!["ports"]![0]!["port"]).Should().Be("9500");
        ((string?)service["spec"]!["ports"]![0]!["targetPort"]).Should().Be("metrics");
        var monitor = on.Single(o => (string?)o["kind"] == "ServiceMonitor");
        ((string?)monitor["spec"]!["endpoints"]![0]!["port"]).Should().Be("metrics");
        var ready = PodSpec(on)["containers"]!.AsArray().Single(c => (string?)c!["name"] == "ready")!;
        ready["command"]!.AsArray().Select(c => (string?)c).Should().EndWith(["--metrics-port", "9500"]);
        ((string?)ready["ports"]![0]!["containerPort"]).Should().Be("9500");
        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain("valid ServiceMonitor/gpu-installer").And.Contain("valid Service/gpu-installer-metrics");
    }

    /// <summary>
    /// helm renders NOTES.txt only on install, which needs a cluster; a copy of the chart with a ConfigMap that renders
    /// the same NOTES.txt through `tpl` lets `helm template` render it with the same engine and values.
    /// </summary>
    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Install_notes_tell_the_operator_how_to_watch_the_rollout()
    {
        var chart = dir.Combine("chart");
        Modulus.DevBuilder.Recipes.RecipeSteps.CopyTree(Helm.Chart, chart);
        File.Copy(Path.Combine(chart, "templates", "NOTES.txt"), Path.Combine(chart, "files", "notes.txt"));
        File.WriteAllText(Path.Combine(chart, "templates", "notes-rendered.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: notes }\ndata:\n  notes: |\n    {{- tpl (.Files.Get \"files/notes.txt\") . | nindent 4 }}\n");

        var (code, run) = await Helm.RunAsync("template", "gpu", chart, "--namespace", "kube-system", "-f", Path.Combine(Helm.Chart, "ci", "installer-values.yaml"),
            "--show-only", "templates/notes-rendered.yaml");

        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain("kubectl get nodes -L modulus.gardenlinux.io/nvidia-driver-ready,modulus.gardenlinux.io/nvidia-driver-version")
            .And.Contain("kubectl -n kube-system get pods -l app.kubernetes.io/instance=gpu,app.kubernetes.io/component=installer -o wide")
            .And.Contain("NvidiaDriverReady");
        run.Stdout.Should().Contain("--set driver.enabled=false").And.Contain("--set hostPaths.driverInstallDir=/opt/drivers/nvidia ")
            .And.Contain("--set toolkit.installDir=/opt/nvidia").And.Contain("--set cdi.enabled=true");

        var (moved, elsewhere) = await Helm.RunAsync("template", "gpu", chart, "--namespace", "kube-system", "-f", Path.Combine(Helm.Chart, "ci", "installer-values.yaml"),
            "--set", "nvidiaInstaller.hostDriverPath=/var/lib/drivers/", "--show-only", "templates/notes-rendered.yaml");
        moved.Should().Be(0, elsewhere.Output);
        elsewhere.Stdout.Should().Contain("--set hostPaths.driverInstallDir=/var/lib/drivers/nvidia ", "the operator reads the link install makes, <hostDriverPath>/nvidia");
    }

    [Fact]
    public void The_chart_holds_no_symlinks_and_its_bootstrap_is_dev_builders()
    {
        Directory.EnumerateFileSystemEntries(Helm.Chart, "*", SearchOption.AllDirectories).Where(p => new FileInfo(p).LinkTarget is not null)
            .Should().BeEmpty("helm warns about symlinks, and packaging follows them");
        File.ReadAllText(Path.Combine(Helm.Chart, "files", "bootstrap.sh")).Should().Be(File.ReadAllText(Repo.Bootstrap), "the chart ships dev-builder/bootstrap.sh as it is");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Without_an_upgrade_policy_pods_are_replaced_only_by_hand_and_get_no_eviction_rights()
    {
        var (_, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "installer-values.yaml"));

        ((string?)objects.Single(o => (string?)o["kind"] == "DaemonSet")["spec"]!["updateStrategy"]!["type"]).Should().Be("OnDelete");
        objects.Select(o => (string?)o["kind"]).Should().NotContain("Lease");
        objects.Where(o => (string?)o["kind"] is "Role" or "ClusterRole").Select(o => o["rules"]!.ToJsonString()).Should().NotContain(r => r.Contains("eviction") || r.Contains("leases"));
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Auto_upgrade_rolls_node_by_node_passes_the_policy_to_install_and_grants_what_the_upgrade_needs()
    {
        var (yaml, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "installer-values.yaml"),
            "--set", "upgradePolicy.autoUpgrade=true", "--set", "upgradePolicy.maxParallelUpgrades=3", "--set", "upgradePolicy.drain.enable=true",
            "--set", "upgradePolicy.waitForCompletion.timeoutSeconds=600");

        var ds = objects.Single(o => (string?)o["kind"] == "DaemonSet");
        ds["spec"]!["updateStrategy"]!.ToJsonString().Should().Be("""{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"3"}}""");
        var install = PodSpec(objects)["initContainers"]![0]!;
        var env = install["env"]!.AsArray().Where(e => e!["value"] is not null).ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
        env.Should().Contain(new Dictionary<string, string?>
        {
            ["MODULUS_IN_PLACE_UPGRADE"] = "true", ["MODULUS_MAX_PARALLEL_UPGRADES"] = "3", ["MODULUS_UPGRADE_DRAIN"] = "true",
            ["MODULUS_UPGRADE_WAIT_FOR_JOBS"] = "600", ["MODULUS_UPGRADE_SLOT_PREFIX"] = "gpu-installer-upgrade",
        });
        objects.Single(o => (string?)o["kind"] == "ClusterRole")["rules"]!.AsArray().Select(r => string.Join(',', r!["resources"]!.AsArray().Select(x => (string?)x)))
            .Should().Contain(["pods", "pods/eviction"]);
        var role = objects.Single(o => (string?)o["kind"] == "Role" && o["rules"]!.ToJsonString().Contains("leases", StringComparison.Ordinal));
        role["rules"]!.ToJsonString().Should().Be(
            """[{"apiGroups":["coordination.k8s.io"],"resources":["leases"],"resourceNames":["gpu-installer-upgrade-0","gpu-installer-upgrade-1","gpu-installer-upgrade-2"],"verbs":["get","update"]}]""");
        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Signing_gives_the_compiler_its_key_from_a_secret_and_installers_the_trusted_public_keys()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var pem = key.ExportSubjectPublicKeyInfoPem();
        var values = Values("signing:\n  publicKeys:\n    - |\n" + string.Join("\n", pem.Split('\n').Select(l => "      " + l)) + "\n");

        var (_, installer) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "installer-values.yaml"), "-f", values);
        var (_, compiler) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "compiler-values.yaml"), "--set", "signing.keySecret=driver-signing-key");

        var keys = installer.Single(o => (string?)o["kind"] == "ConfigMap" && ((string?)o["metadata"]!["name"])!.EndsWith("trusted-keys", StringComparison.Ordinal));
        ((string?)keys["data"]!["key-0.pem"])!.Trim().Should().Be(pem.Trim());
        var install = PodSpec(installer)["initContainers"]![0]!;
        install["env"]!.AsArray().Should().Contain(e => (string?)e!["name"] == "MODULUS_TRUSTED_KEYS" && (string?)e["value"] == "/etc/modulus/trusted-keys");
        install["volumeMounts"]!.AsArray().Should().Contain(m => (string?)m!["mountPath"] == "/etc/modulus/trusted-keys");
        var modulus = PodSpec(compiler)["containers"]!.AsArray().Single(c => (string?)c!["name"] == "modulus")!;
        modulus["env"]!.AsArray().Should().Contain(e => (string?)e!["name"] == "MODULUS_SIGNING_KEY" && (string?)e["value"] == "/etc/modulus/signing/signing-key.pem");
        var volume = PodSpec(compiler)["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "signing-key")!;
        ((string?)volume["secret"]!["secretName"]).Should().Be("driver-signing-key");
        compiler.Select(o => (string?)o["kind"]).Should().NotContain("Secret", "the key comes from the operator's Secret, never from values");
    }

    private const string Matrix = """
        allowCompilation: true
        driverBucketSecret: nvidia-driver-bucket-write
        gardenlinuxVersion: "1877.3"
        nvidiaInstaller:
          driverVersion: "580.65.06"
        buildMatrix:
          enabled: true
          gardenlinuxVersions: ["1592.3", "1877.3"]
          driverVersions: ["570.86.15", "580.65.06"]
        """;

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_build_matrix_renders_one_job_per_garden_linux_and_driver_version_with_that_versions_kmodbuild_image()
    {
        var (yaml, objects) = await Helm.TemplateAsync(Values(Matrix));

        objects.Select(o => (string?)o["kind"]).Should().NotContain("DaemonSet", "the matrix replaces the compiler DaemonSet");
        var jobs = objects.Where(o => (string?)o["kind"] == "Job").ToList();
        jobs.Select(j => (string?)j["metadata"]!["name"]).Should().BeEquivalentTo(
            "gpu-compiler-1592-3-570-86-15", "gpu-compiler-1592-3-580-65-06", "gpu-compiler-1877-3-570-86-15", "gpu-compiler-1877-3-580-65-06");
        foreach (var job in jobs)
        {
            var gl = (string)job["metadata"]!["labels"]!["modulus.gardenlinux.io/gardenlinux-version"]!;
            var driver = (string)job["metadata"]!["labels"]!["modulus.gardenlinux.io/driver-version"]!;
            var spec = job["spec"]!["template"]!["spec"]!;
            var dev = spec["initContainers"]![0]!;
            ((string?)dev["image"]).Should().Be($"ghcr.io/gardenlinux/gardenlinux/kmodbuild:amd64-{gl}");
            ((string?)dev["restartPolicy"]).Should().Be("Always", "a native sidecar, so the Job completes when compile does");
            var env = spec["containers"]![0]!["env"]!.AsArray().Where(e => e!["value"] is not null).ToDictionary(e => (string)e!["name"]!, e => (string?)e!["value"]);
            env["MODULUS_GARDENLINUX_VERSION"].Should().Be(gl);
            env["MODULUS_DRIVER_VERSION"].Should().Be(driver);
            env["MODULUS_FORCE"].Should().Be("false", "each Job skips what the store has");
        }

        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task With_a_schedule_cron_jobs_re_check_the_matrix()
    {
        var (yaml, objects) = await Helm.TemplateAsync(Values(Matrix), "--set", "buildMatrix.schedule=0 3 * * *");

        var crons = objects.Where(o => (string?)o["kind"] == "CronJob").ToList();
        crons.Should().HaveCount(4);
        crons.Should().OnlyContain(c => (string?)c["spec"]!["schedule"] == "0 3 * * *" && (string?)c["spec"]!["concurrencyPolicy"] == "Forbid");
        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);
        run.Stdout.Should().Contain("valid CronJob/gpu-compiler-1877-3-580-65-06");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task The_build_matrix_leaves_out_the_pairs_garden_linux_excludes_and_passes_the_kernel_flavours()
    {
        var (yaml, objects) = await Helm.TemplateAsync(Values(Matrix),
            "--set-json", """buildMatrix.gardenlinuxVersions=["1877.3","2150.7.0","2150.8.0","2150.9.0"]""",
            "--set-json", """buildMatrix.driverVersions=["570.211.01","580.178.04","5700.1"]""",
            "--set-json", """kernelFlavours=["default","cloud"]""");

        var jobs = objects.Where(o => (string?)o["kind"] == "Job").Select(j => (string)j["metadata"]!["name"]!).ToList();
        jobs.Should().BeEquivalentTo(
            "gpu-compiler-1877-3-570-211-01", "gpu-compiler-1877-3-580-178-04", "gpu-compiler-1877-3-5700-1",
            "gpu-compiler-2150-7-0-570-211-01", "gpu-compiler-2150-7-0-580-178-04", "gpu-compiler-2150-7-0-5700-1",
            "gpu-compiler-2150-8-0-580-178-04", "gpu-compiler-2150-8-0-5700-1", "gpu-compiler-2150-9-0-580-178-04", "gpu-compiler-2150-9-0-5700-1");
        foreach (var job in objects.Where(o => (string?)o["kind"] == "Job"))
        {
            job["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray()
                .Should().Contain(e => (string?)e!["name"] == "MODULUS_KERNEL_FLAVOURS" && (string?)e["value"] == "default,cloud");
        }

        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);

        var (_, none) = await Helm.TemplateAsync(Values(Matrix), "--set-json", "buildMatrix.excludedCombinations=[]",
            "--set-json", """buildMatrix.gardenlinuxVersions=["2150.8.0"]""", "--set-json", """buildMatrix.driverVersions=["570.211.01"]""");
        none.Where(o => (string?)o["kind"] == "Job").Should().ContainSingle("an empty list excludes nothing");
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Extra_volumes_reach_the_compiler_pod_and_their_mounts_the_container_each_is_for()
    {
        var (yaml, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "compiler-values.yaml"),
            "--set-json", """extraVolumes=[{"name":"store","hostPath":{"path":"/srv/store","type":"Directory"}},{"name":"drivers","hostPath":{"path":"/srv/drivers"}}]""",
            "--set-json", """extraVolumeMounts=[{"name":"store","mountPath":"/store"}]""",
            "--set-json", """devImage.extraVolumeMounts=[{"name":"drivers","mountPath":"/drivers","readOnly":true}]""");

        var spec = PodSpec(objects);
        spec["volumes"]!.AsArray().Select(v => (string?)v!["name"]).Should().Contain(["store", "drivers"]);
        var containers = spec["containers"]!.AsArray();
        var modulus = containers.Single(c => (string?)c!["name"] == "modulus")!;
        var dev = containers.Single(c => (string?)c!["name"] == "dev")!;
        modulus["volumeMounts"]!.AsArray().Should().Contain(m => (string?)m!["name"] == "store" && (string?)m["mountPath"] == "/store")
            .And.NotContain(m => (string?)m!["name"] == "drivers");
        dev["volumeMounts"]!.AsArray().Should().Contain(m => (string?)m!["name"] == "drivers" && (string?)m["mountPath"] == "/drivers")
            .And.NotContain(m => (string?)m!["name"] == "store");
        var (code, run) = await Helm.ValidateAsync(yaml);
        code.Should().Be(0, run.Output);
    }

    [Fact(Timeout = TestTimeouts.Quick)]
    public async Task Module_signing_mounts_the_key_secret_into_dev_and_tells_compile_where_it_is()
    {
        var (_, objects) = await Helm.TemplateAsync(Path.Combine(Helm.Chart, "ci", "compiler-values.yaml"), "--set", "moduleSigning.secret=secure-boot-key");

        var spec = PodSpec(objects);
        var dev = spec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "dev")!;
        dev["volumeMounts"]!.AsArray().Should().Contain(m => (string?)m!["name"] == "module-signing" && (string?)m["mountPath"] == "/etc/modulus/module-signing");
        var modulus = spec["containers"]!.AsArray().Single(c => (string?)c!["name"] == "modulus")!;
        modulus["env"]!.AsArray().Should().Contain(e => (string?)e!["name"] == "MODULUS_MODULE_SIGNING_KEY" && (string?)e["value"] == "/etc/modulus/module-signing/signing_key.pem");
        modulus["volumeMounts"]!.AsArray().Should().NotContain(m => (string?)m!["name"] == "module-signing", "the key reaches only the container that signs");
        ((string?)spec["volumes"]!.AsArray().Single(v => (string?)v!["name"] == "module-signing")!["secret"]!["secretName"]).Should().Be("secure-boot-key");
    }
}
