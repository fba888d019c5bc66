using System.CommandLine;
using Modulus.Kubernetes;

namespace Modulus.Commands.Options;

/// <summary><c>--node-name</c> and <c>--kubeconfig</c> (which falls back to KUBECONFIG, its first file).</summary>
internal sealed class KubernetesOptions(string nodeNameDescription, bool nodeNameRequired = false)
{
    public Option<string?> NodeName { get; } = new("--node-name") { Description = nodeNameDescription, Required = nodeNameRequired };

    public Option<string?> Kubeconfig { get; } = new Option<string?>("--kubeconfig") { Description = "kubeconfig outside a pod (default: ~/.kube/config)" }
        .FallsBackTo("KUBECONFIG");

    public void AddTo(Command command, bool withNodeName = true)
    {
        if (withNodeName)
        {
            command.Options.Add(NodeName);
        }

        command.Options.Add(Kubeconfig);
    }

    public KubernetesSettings Bind(ParseResult parsed) =>
        new(parsed.GetValue(NodeName) is { Length: > 0 } node ? node : null, parsed.GetValue(Kubeconfig)?.Split(':')[0] is { Length: > 0 } file ? file : null);
}
