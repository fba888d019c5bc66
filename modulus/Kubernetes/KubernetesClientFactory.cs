using k8s;
using k8s.Exceptions;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;

namespace Modulus.Kubernetes;

/// <summary>
/// Finds the API server with the KubernetesClient library: in a pod, the service account
/// (<see cref="KubernetesClientConfiguration.InClusterConfig"/>: token re-read as it rotates, CA, namespace);
/// elsewhere a kubeconfig (<c>--kubeconfig</c> or <c>KUBECONFIG</c>, else <c>~/.kube/config</c>) with every auth method the
/// library has: tokens, client certificates, <c>exec</c> credential plugins (Gardener, OIDC), auth providers.
/// </summary>
internal static class KubernetesClientFactory
{
    /// <summary>A client, or null when neither an in-cluster service account nor a kubeconfig is there.</summary>
    public static KubernetesClient? TryCreate(string? kubeconfig, ILogger logger)
    {
        var options = Find(kubeconfig);
        if (options is null)
        {
            logger.LogDebug("No Kubernetes service account or kubeconfig: node labels and events are skipped");
            return null;
        }

        logger.LogDebug("Kubernetes API: {Server}", options);
        return new KubernetesClient(options, logger);
    }

    /// <summary>The options for this process: in-cluster first, then the kubeconfig; null when there is neither.</summary>
    public static KubernetesClientOptions? Find(string? kubeconfig)
    {
        if (kubeconfig is null && KubernetesClientConfiguration.IsInCluster())
        {
            return From(Load(KubernetesClientConfiguration.InClusterConfig, "the pod's service account"), "the pod's service account");
        }

        if (kubeconfig is not null && !File.Exists(kubeconfig))
        {
            throw new InvalidInputException($"kubeconfig {kubeconfig} does not exist");
        }

        // --kubeconfig falls back to KUBECONFIG (Commands/Options/KubernetesOptions); then the user's default file.
        var path = kubeconfig ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        return File.Exists(path) ? FromKubeconfig(path) : null;
    }

    public static KubernetesClientOptions FromKubeconfig(string path) =>
        From(Load(() => KubernetesClientConfiguration.BuildConfigFromConfigFile(path), $"kubeconfig {path}"), $"kubeconfig {path}");

    private static KubernetesClientOptions From(KubernetesClientConfiguration configuration, string source)
    {
        if (configuration.SkipTlsVerify)
        {
            throw new InvalidInputException($"{source} asks for insecure-skip-tls-verify, which Modulus does not do; give the cluster's certificate-authority");
        }

        configuration.HttpClientTimeout = TimeSpan.FromSeconds(30);
        return new KubernetesClientOptions
        {
            Configuration = configuration,
            EventNamespace = string.IsNullOrEmpty(configuration.Namespace) ? "default" : configuration.Namespace,
        };
    }

    private static KubernetesClientConfiguration Load(Func<KubernetesClientConfiguration> load, string source)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is KubeConfigException or KubernetesClientException or IOException or FormatException or YamlDotNet.Core.YamlException)
        {
            throw new InvalidInputException($"{source} cannot be used: {e.Message}");
        }
    }
}
