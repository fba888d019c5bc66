namespace Modulus.Storage;

/// <summary>How to reach an S3 bucket. <see cref="ToString"/> never shows the secret.</summary>
internal sealed class S3StoreOptions
{
    public required string Bucket { get; init; }

    public string Prefix { get; init; } = string.Empty;

    /// <summary>Endpoint of an S3-compatible service, e.g. <c>http://127.0.0.1:4568</c>; null for AWS itself.</summary>
    public string? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";

    public bool ForcePathStyle { get; init; }

    /// <summary>Null: the SDK's default credential chain (instance profile, web identity, ...).</summary>
    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }

    /// <summary>Attempts per network call, the first included.</summary>
    public int MaxAttempts { get; init; } = 4;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time to open a TCP (and TLS) connection to the endpoint.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Time one call may take until the service answers (and, for uploads, for the body at 256 KiB/s or more), and
    /// the longest a download may go without a byte. Each attempt has its own; attempts are retried.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Blobs from this size on go up as multipart uploads.</summary>
    public long MultipartThreshold { get; init; } = 64L << 20;

    public long PartSize { get; init; } = 16L << 20;

    public int Parallelism { get; init; } = 4;

    public override string ToString() =>
        $"s3://{Bucket}/{Prefix}" + (Endpoint is null ? string.Empty : $" at {Endpoint}") + $" (region {Region}, key id {AccessKeyId ?? "from the default chain"})";
}
