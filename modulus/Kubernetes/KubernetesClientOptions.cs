using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Authentication;

namespace Modulus.Kubernetes;

/// <summary>
/// Where the API server is and how to authenticate (a <see cref="KubernetesClientConfiguration"/> from the
/// KubernetesClient library: in-cluster, or any kubeconfig it reads), plus Modulus' retry policy.
/// <see cref="ToString"/> never shows credentials.
/// </summary>
internal sealed class KubernetesClientOptions
{
    public required KubernetesClientConfiguration Configuration { get; init; }

    /// <summary>Namespace events are recorded in: the kubeconfig context's or service account's, else default.</summary>
    public string EventNamespace { get; init; } = "default";

    public int MaxAttempts { get; init; } = 5;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(8);

    public Uri Server => new(Configuration.Host);

    /// <summary>A configuration with a bearer token read before every call (projected tokens rotate) and an optional CA.</summary>
    public static KubernetesClientConfiguration Bearer(Uri server, Func<string?> token, X509Certificate2? certificateAuthority = null) => new()
    {
        Host = server.ToString(),
        TokenProvider = new FuncTokenProvider(token),
        SslCaCerts = certificateAuthority is null ? null : new X509Certificate2Collection(certificateAuthority),
        HttpClientTimeout = TimeSpan.FromSeconds(30),
    };

    public override string ToString() =>
        $"{Configuration.Host} (CA {(Configuration.SslCaCerts is { Count: > 0 } cas ? cas[0].Subject : "system")})";

    private sealed class FuncTokenProvider(Func<string?> token) : ITokenProvider
    {
        public Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new AuthenticationHeaderValue("Bearer", token() ?? string.Empty));
    }
}
