using System.Security.Cryptography.X509Certificates;

namespace Modulus.Kubernetes;

/// <summary>Where the API server is and how to authenticate; <see cref="ToString"/> never shows the token.</summary>
internal sealed class KubernetesClientOptions
{
    public required Uri Server { get; init; }

    /// <summary>Read before every call: projected service-account tokens rotate.</summary>
    public Func<string?> Token { get; init; } = () => null;

    /// <summary>The cluster's CA; null means the system's trust store.</summary>
    public X509Certificate2? CertificateAuthority { get; init; }

    /// <summary>Namespace events are recorded in.</summary>
    public string EventNamespace { get; init; } = "default";

    public int MaxAttempts { get; init; } = 5;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(8);

    public override string ToString() => $"{Server} (CA {(CertificateAuthority is null ? "system" : CertificateAuthority.Subject)})";
}
