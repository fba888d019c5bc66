using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using YamlDotNet.RepresentationModel;

namespace Modulus.Kubernetes;

/// <summary>
/// Finds the API server: in a pod, the service account (token, CA, namespace) and KUBERNETES_SERVICE_HOST/PORT;
/// elsewhere a kubeconfig (<c>--kubeconfig</c>, <c>KUBECONFIG</c>, <c>~/.kube/config</c>) with token auth.
/// </summary>
internal static class KubernetesClientFactory
{
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>A client, or null when neither an in-cluster service account nor a kubeconfig is there.</summary>
    public static KubernetesClient? TryCreate(string? kubeconfig, ILogger logger, string serviceAccountDir = ServiceAccountDir)
    {
        var options = InCluster(serviceAccountDir) ?? FromKubeconfig(kubeconfig ?? Environment.GetEnvironmentVariable("KUBECONFIG")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config"));
        if (options is null)
        {
            logger.LogDebug("No Kubernetes service account or kubeconfig: node labels and events are skipped");
            return null;
        }

        return new KubernetesClient(options, logger);
    }

    public static KubernetesClientOptions? InCluster(string dir)
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        var tokenFile = Path.Combine(dir, "token");
        if (string.IsNullOrEmpty(host) || !File.Exists(tokenFile))
        {
            return null;
        }

        var ca = Path.Combine(dir, "ca.crt");
        var ns = Path.Combine(dir, "namespace");
        return new KubernetesClientOptions
        {
            Server = new Uri($"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}"),
            Token = () => File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : null,
            CertificateAuthority = File.Exists(ca) ? X509CertificateLoader.LoadCertificateFromFile(ca) : null,
            EventNamespace = File.Exists(ns) ? File.ReadAllText(ns).Trim() : "default",
        };
    }

    public static KubernetesClientOptions? FromKubeconfig(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var contextName = Scalar(root, "current-context") ?? throw Invalid(path, "has no current-context");
        var context = Named(root, "contexts", contextName, "context") ?? throw Invalid(path, $"has no context {contextName}");
        var cluster = Named(root, "clusters", Scalar(context, "cluster") ?? string.Empty, "cluster") ?? throw Invalid(path, $"names no cluster for context {contextName}");
        var user = Named(root, "users", Scalar(context, "user") ?? string.Empty, "user");
        if (Scalar(cluster, "insecure-skip-tls-verify") == "true")
        {
            throw Invalid(path, "asks for insecure-skip-tls-verify, which Modulus does not do; give the cluster's certificate-authority");
        }

        var token = user is null ? null : Scalar(user, "token");
        var tokenFile = user is null ? null : Scalar(user, "tokenFile") ?? Scalar(user, "token-file");
        if (token is null && tokenFile is null && user is not null && (Scalar(user, "client-certificate-data") ?? Scalar(user, "client-certificate")) is not null)
        {
            throw Invalid(path, "authenticates with a client certificate; Modulus' small client supports bearer tokens only");
        }

        X509Certificate2? ca = null;
        if (Scalar(cluster, "certificate-authority-data") is { } data)
        {
            ca = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(data));
        }
        else if (Scalar(cluster, "certificate-authority") is { } caFile)
        {
            ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Path.GetDirectoryName(path)!, caFile));
        }

        return new KubernetesClientOptions
        {
            Server = new Uri(Scalar(cluster, "server") ?? throw Invalid(path, "names no server")),
            Token = () => token ?? (tokenFile is not null && File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : null),
            CertificateAuthority = ca,
            EventNamespace = Scalar(context, "namespace") ?? "default",
        };
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    private static YamlMappingNode? Named(YamlMappingNode root, string list, string name, string inner) =>
        root.Children.TryGetValue(new YamlScalarNode(list), out var items) && items is YamlSequenceNode sequence
            ? sequence.Children.OfType<YamlMappingNode>().Where(i => Scalar(i, "name") == name)
                .Select(i => i.Children.TryGetValue(new YamlScalarNode(inner), out var v) ? v as YamlMappingNode : null).FirstOrDefault()
            : null;

    private static InvalidInputException Invalid(string path, string problem) => new($"kubeconfig {path} {problem}");
}
