using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;

namespace Modulus.Storage;

/// <summary>
/// Opens the store <see cref="StoreSettings"/> describe: a <see cref="FileStore"/> or an <see cref="S3Store"/>, inside
/// a <see cref="SigningStore"/> when a signing key or trusted keys are given. S3 credentials come from the credentials
/// dir (the chart's secret) when given, else from the environment's AWS variables, else the SDK's default chain.
/// </summary>
internal static class StoreFactory
{
    /// <summary>
    /// A command that only reads (<paramref name="writes"/> false) refuses a <c>file://</c> store that does not exist:
    /// listing it as empty would hide a typo.
    /// </summary>
    public static IArtifactStore Open(StoreSettings settings, ILoggerFactory loggers, bool writes)
    {
        var signing = settings.SigningKeyFile is { } keyFile ? SigningKeys.LoadPrivate(keyFile, "--signing-key") : null;
        var trusted = settings.TrustedKeys is { } trustFile ? SigningKeys.LoadPublic(trustFile, "--trusted-keys") : [];
        var store = OpenStore(settings, loggers, writes);
        return signing is null && trusted.Count == 0 ? store : new SigningStore(store, signing, trusted);
    }

    private static IArtifactStore OpenStore(StoreSettings settings, ILoggerFactory loggers, bool writes)
    {
        var uri = settings.Uri;
        if (uri.Scheme == "file")
        {
            return writes || Directory.Exists(uri.Directory)
                ? new FileStore(uri.Directory!)
                : throw new InvalidInputException($"--store {settings.Given}: {uri.Directory} does not exist. Check the path, or publish to it first (publish and compile create it)");
        }

        var secrets = ReadCredentialsDir(settings.CredentialsDir);
        var options = new S3StoreOptions
        {
            Bucket = uri.Bucket ?? secrets.GetValueOrDefault("bucket")
                ?? throw new InvalidInputException($"--store '{settings.Given}' names no bucket and no bucket file was found in --s3-credentials-dir"),
            Prefix = uri.Prefix,
            Endpoint = settings.Endpoint,
            Region = settings.Region,
            ForcePathStyle = settings.Endpoint is not null && !settings.VirtualHostStyle,
            AccessKeyId = secrets.GetValueOrDefault("accessKeyId") ?? settings.Credentials.AccessKeyId,
            SecretAccessKey = secrets.GetValueOrDefault("secretAccessKey") ?? settings.Credentials.SecretAccessKey,
            SessionToken = secrets.Count > 0 ? null : settings.Credentials.SessionToken,
            MaxAttempts = settings.MaxAttempts,
            RequestTimeout = settings.Timeout,
            ConnectTimeout = settings.ConnectTimeout,
        };
        if (options.AccessKeyId is not null && string.IsNullOrEmpty(options.SecretAccessKey))
        {
            throw new InvalidInputException("an S3 access key id is set but no secret access key: set AWS_SECRET_ACCESS_KEY or the secretAccessKey file");
        }

        return new S3Store(options, loggers.CreateLogger<S3Store>());
    }

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
