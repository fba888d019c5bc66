using Amazon.Runtime;
using Amazon.S3;

namespace Modulus.Tests.Fixtures;

/// <summary>
/// A real S3-compatible server (s3rver 3.7.1 from npm, installed by `make test`) on 127.0.0.1 with a temp data
/// directory; one per test class, a new bucket per test.
/// </summary>
public sealed class S3rverServer : IAsyncLifetime
{
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";
    private readonly TempDirectory data = new("modulus-s3rver-");
    private ChildProcess? process;

    public string Endpoint { get; private set; } = string.Empty;

    /// <summary>Where s3rver keeps objects: <c>&lt;DataDir&gt;/&lt;bucket&gt;/&lt;key&gt;._S3rver_object</c>.</summary>
    public string DataDir => data.Path;

    public static string Script => Path.Combine(Repo.Root, ".tools", "node_modules", "s3rver", "bin", "s3rver.js");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Script))
        {
            throw new InvalidOperationException($"s3rver is not installed at {Script}; run `make test` (or sh .ci/install-prereqs.sh)");
        }

        process = ChildProcess.Start("node", [Script, "-d", data.Path, "-a", "127.0.0.1", "-p", "0"],
            new Dictionary<string, string?> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" });
        await process.WaitForLineAsync("S3rver listening on 127.0.0.1:", TestTimeouts.QuickSpan);
        var line = process.Output.Split('\n').First(l => l.Contains("S3rver listening on 127.0.0.1:", StringComparison.Ordinal));
        Endpoint = "http://" + line[(line.IndexOf("127.0.0.1:", StringComparison.Ordinal))..].Trim();
    }

    public Task DisposeAsync()
    {
        process?.Dispose();
        data.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Creates a new, uniquely named bucket.</summary>
    public async Task<string> CreateBucketAsync()
    {
        var bucket = "test-" + Guid.NewGuid().ToString("N")[..12];
        using var client = Client();
        await client.PutBucketAsync(bucket);
        return bucket;
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKeyId, SecretAccessKey), new AmazonS3Config
    {
        ServiceURL = Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>The backing file of an object, for tests that damage what the server stores.</summary>
    public string ObjectFile(string bucket, string key) => Path.Combine(data.Path, bucket, key + "._S3rver_object");

    /// <summary>Environment for a modulus process that talks to this server.</summary>
    public Dictionary<string, string?> Environment() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey, ["MODULUS_S3_ENDPOINT"] = Endpoint,
    };
}
