namespace Modulus.Storage;

/// <summary>
/// Where a command's store is and how to reach it, as the command line and the environment gave it (bound and
/// checked by <c>Commands/Options/StoreOptions</c>); <see cref="StoreFactory"/> opens it.
/// </summary>
internal sealed record StoreSettings
{
    /// <summary><c>s3://bucket/prefix</c> or <c>file:///dir</c>, parsed.</summary>
    public required StoreUri Uri { get; init; }

    /// <summary>What the user wrote, for messages.</summary>
    public required string Given { get; init; }

    public string? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";

    public bool VirtualHostStyle { get; init; }

    /// <summary>The chart's bucket secret mounted as files (accessKeyId, secretAccessKey, bucket); beats <see cref="Credentials"/>.</summary>
    public string? CredentialsDir { get; init; }

    /// <summary>AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN from the environment; null values: the SDK's default chain.</summary>
    public S3Credentials Credentials { get; init; } = new(null, null, null);

    public int MaxAttempts { get; init; } = 4;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>PEM file with the ECDSA P-256 key that signs published manifests.</summary>
    public string? SigningKeyFile { get; init; }

    /// <summary>PEM file or directory of public keys; manifests none of them signed are refused.</summary>
    public string? TrustedKeys { get; init; }

    public override string ToString() => Given;
}

/// <summary>S3 credentials; <see cref="ToString"/> never shows the secret.</summary>
internal sealed record S3Credentials(string? AccessKeyId, string? SecretAccessKey, string? SessionToken)
{
    public override string ToString() => $"key id {AccessKeyId ?? "from the default chain"}";
}
