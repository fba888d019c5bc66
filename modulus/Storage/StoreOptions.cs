using System.CommandLine;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;

namespace Modulus.Storage;

/// <summary>
/// The store options of a command and how they become an <see cref="IArtifactStore"/>. S3 credentials come from
/// <c>--s3-credentials-dir</c> (the chart's secret mounted as files: accessKeyId, secretAccessKey, bucket), else from
/// the standard AWS variables, else from the SDK's default chain.
/// </summary>
internal sealed class StoreOptions
{
    public Option<string?> Store { get; } = new("--store") { Description = "s3://bucket/prefix or file:///dir" };

    public Option<string?> Endpoint { get; } = new("--s3-endpoint") { Description = "Endpoint of an S3-compatible service (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)" };

    public Option<string?> Region { get; } = new("--s3-region") { Description = "Region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)" };

    public Option<string?> CredentialsDir { get; } = new("--s3-credentials-dir") { Description = "Directory with files accessKeyId, secretAccessKey and optionally bucket (the chart's secret)" };

    public Option<bool> VirtualHostStyle { get; } = new("--s3-virtual-host-style") { Description = "Address buckets as <bucket>.<endpoint> instead of path style (path style is the default with --s3-endpoint)" };

    public Option<int> MaxAttempts { get; } = new("--s3-max-attempts") { Description = "Attempts per S3 call on transient errors", DefaultValueFactory = _ => 4 };

    public Option<double> Timeout { get; } = new("--s3-timeout") { Description = "Seconds an S3 call may wait for an answer (uploads get more per MiB), and a download for its next byte", DefaultValueFactory = _ => 30 };

    public Option<double> ConnectTimeout { get; } = new("--s3-connect-timeout") { Description = "Seconds to connect to the S3 endpoint", DefaultValueFactory = _ => 10 };

    public Option<string?> SigningKey { get; } = new("--signing-key") { Description = "PEM file with the ECDSA P-256 private key that signs published manifests (the chart's signing Secret)" };

    public Option<string?> TrustedKeys { get; } = new("--trusted-keys") { Description = "PEM file or directory of *.pem public keys; manifests not signed by one of them are refused" };

    public void AddTo(Command command)
    {
        command.Options.Add(SigningKey);
        command.Options.Add(TrustedKeys);
        command.Options.Add(Store);
        command.Options.Add(Endpoint);
        command.Options.Add(Region);
        command.Options.Add(CredentialsDir);
        command.Options.Add(VirtualHostStyle);
        command.Options.Add(MaxAttempts);
        command.Options.Add(Timeout);
        command.Options.Add(ConnectTimeout);
    }

    /// <summary>
    /// The store, or null when <c>--store</c> was not given and <paramref name="required"/> is false. A command that
    /// only reads (<paramref name="writes"/> false) refuses a <c>file://</c> store that does not exist: listing it as
    /// empty would hide a typo.
    /// </summary>
    public IArtifactStore? Create(ParseResult parsed, ILoggerFactory loggers, bool required, bool writes = false)
    {
        var value = parsed.GetValue(Store);
        if (value is null && !required)
        {
            return null;
        }

        var signing = parsed.GetValue(SigningKey) is { } keyFile ? SigningKeys.LoadPrivate(keyFile, "--signing-key") : null;
        var trusted = parsed.GetValue(TrustedKeys) is { } trustFile ? SigningKeys.LoadPublic(trustFile, "--trusted-keys") : [];
        var store = CreateStore(value, parsed, loggers, writes);
        return signing is null && trusted.Count == 0 ? store : new SigningStore(store, signing, trusted);
    }

    private IArtifactStore CreateStore(string? value, ParseResult parsed, ILoggerFactory loggers, bool writes)
    {
        var uri = StoreUri.Parse(value);
        if (uri.Scheme == "file")
        {
            return writes || Directory.Exists(uri.Directory)
                ? new FileStore(uri.Directory!)
                : throw new InvalidInputException($"--store {value}: {uri.Directory} does not exist. Check the path, or publish to it first (publish and compile create it)");
        }

        var timeout = Seconds(parsed.GetValue(Timeout), "--s3-timeout");
        var connectTimeout = Seconds(parsed.GetValue(ConnectTimeout), "--s3-connect-timeout");

        var attempts = parsed.GetValue(MaxAttempts);
        if (attempts is < 1 or > 20)
        {
            throw new InvalidInputException($"--s3-max-attempts {attempts} is not valid: expected 1 to 20");
        }

        var secrets = ReadCredentialsDir(parsed.GetValue(CredentialsDir));
        var endpoint = parsed.GetValue(Endpoint) ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3") ?? Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL");
        if (endpoint is not null && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var e) && e.Scheme is "http" or "https"))
        {
            throw new InvalidInputException($"--s3-endpoint '{endpoint}' is not valid: expected an http:// or https:// URL");
        }

        var keyId = secrets.GetValueOrDefault("accessKeyId") ?? Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var options = new S3StoreOptions
        {
            Bucket = uri.Bucket ?? secrets.GetValueOrDefault("bucket")
                ?? throw new InvalidInputException($"--store '{value}' names no bucket and no bucket file was found in --s3-credentials-dir"),
            Prefix = uri.Prefix,
            Endpoint = endpoint,
            Region = parsed.GetValue(Region) ?? Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? "us-east-1",
            ForcePathStyle = endpoint is not null && !parsed.GetValue(VirtualHostStyle),
            AccessKeyId = keyId,
            SecretAccessKey = secrets.GetValueOrDefault("secretAccessKey") ?? Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"),
            SessionToken = secrets.Count > 0 ? null : Environment.GetEnvironmentVariable("AWS_SESSION_TOKEN"),
            MaxAttempts = attempts,
            RequestTimeout = timeout,
            ConnectTimeout = connectTimeout,
        };
        if (options.AccessKeyId is not null && string.IsNullOrEmpty(options.SecretAccessKey))
        {
            throw new InvalidInputException("an S3 access key id is set but no secret access key: set AWS_SECRET_ACCESS_KEY or the secretAccessKey file");
        }

        return new S3Store(options, loggers.CreateLogger<S3Store>());
    }

    private static TimeSpan Seconds(double value, string option) =>
        value is > 0 and <= 3600 ? TimeSpan.FromSeconds(value) : throw new InvalidInputException($"{option} {value} is not valid: expected seconds, more than 0 and at most 3600");

    private static Dictionary<string, string> ReadCredentialsDir(string? dir)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (dir is null)
        {
            return values;
        }

        if (!Directory.Exists(dir))
        {
            throw new InvalidInputException($"--s3-credentials-dir {dir} does not exist; mount the bucket secret there");
        }

        foreach (var name in new[] { "accessKeyId", "secretAccessKey", "bucket" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                values[name] = File.ReadAllText(path).Trim();
            }
        }

        return values;
    }
}
