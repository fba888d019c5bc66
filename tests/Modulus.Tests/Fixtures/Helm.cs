using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Modulus.Tests.Fixtures;

/// <summary>The real helm 3 binary (installed by `make test` into .tools/bin) and the chart under test.</summary>
public static class Helm
{
    public static string Binary => Path.Combine(Repo.Root, ".tools", "bin", "helm");

    public static string Chart => Path.Combine(Repo.Root, "charts", "nvidia-installer");

    public static Task<(int ExitCode, ChildProcess Process)> RunAsync(params string[] args)
    {
        File.Exists(Binary).Should().BeTrue($"`make test` installs helm to {Binary}");
        return ChildProcess.RunAsync(Binary, args, timeout: TestTimeouts.QuickSpan);
    }

    /// <summary>helm template with a values file; returns the rendered YAML and its objects as JSON.</summary>
    public static async Task<(string Yaml, IReadOnlyList<JsonObject> Objects)> TemplateAsync(string valuesFile, params string[] extra)
    {
        var (code, run) = await RunAsync(["template", "gpu", Chart, "--namespace", "kube-system", "-f", valuesFile, .. extra]);
        code.Should().Be(0, run.Output);
        return (run.Stdout, Parse(run.Stdout));
    }

    /// <summary>Validates manifests offline (tests/chart/validate.mjs with the models `make test` installs into .tools).</summary>
    public static async Task<(int ExitCode, ChildProcess Process)> ValidateAsync(string yaml)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, yaml);
            return await ChildProcess.RunAsync("sh", ["-c", $"node {Path.Combine(Repo.Root, "tests", "chart", "validate.mjs")} < {file}"],
                new Dictionary<string, string?> { ["NODE_PATH"] = Path.Combine(Repo.Root, ".tools", "node_modules") }, TestTimeouts.QuickSpan);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static IReadOnlyList<JsonObject> Parse(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var json = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var objects = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<object>(parser) is { } document)
            {
                objects.Add(JsonNode.Parse(json.Serialize(document))!.AsObject());
            }
        }

        return objects;
    }
}
