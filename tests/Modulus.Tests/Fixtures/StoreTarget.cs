namespace Modulus.Tests.Fixtures;

/// <summary>One store under test, S3 (s3rver) or file://, with access to its backing files for damage.</summary>
public sealed class StoreTarget
{
    private StoreTarget(string kind, string uri, Dictionary<string, string?> environment, Func<string, string> backingFile, Func<string, byte[], Task> put)
    {
        Kind = kind;
        Uri = uri;
        Environment = environment;
        BackingFile = backingFile;
        PutAsync = put;
    }

    /// <summary>Stores an object as an attacker with write access to the bucket would (for forged blobs and manifests).</summary>
    public Func<string, byte[], Task> PutAsync { get; }

    public string Kind { get; }

    public string Uri { get; }

    public Dictionary<string, string?> Environment { get; }

    /// <summary>The file that holds the object with this key (relative to the store prefix).</summary>
    public Func<string, string> BackingFile { get; }

    public static async Task<StoreTarget> CreateAsync(string kind, S3rverServer s3, TempDirectory dir)
    {
        if (kind == "s3")
        {
            var bucket = await s3.CreateBucketAsync();
            return new StoreTarget(kind, $"s3://{bucket}/drivers/prod", s3.Environment(), key => s3.ObjectFile(bucket, "drivers/prod/" + key), async (key, bytes) =>
            {
                using var client = s3.Client();
                await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
                {
                    BucketName = bucket, Key = "drivers/prod/" + key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false,
                });
            });
        }

        var root = dir.Combine("store");
        return new StoreTarget(kind, "file://" + root, [], key => Path.Combine(root, key), async (key, bytes) =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, key))!);
            await File.WriteAllBytesAsync(Path.Combine(root, key), bytes);
        });
    }

    public Task<(int ExitCode, ChildProcess Process)> ModulusAsync(params string[] args) =>
        ChildProcess.RunAsync(Repo.Modulus, [.. args, "--store", Uri], Environment, TimeSpan.FromMilliseconds(TestTimeouts.Build));
}
