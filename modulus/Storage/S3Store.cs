using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Modulus.Core.Errors;
using Modulus.Core.Files;
using Polly;

namespace Modulus.Storage;

/// <summary>
/// A bucket (and prefix) on S3 or an S3-compatible service. Network calls are retried with capped exponential
/// backoff and jitter on transient errors only; the SDK's own retries are off so that the count is ours.
/// </summary>
internal sealed partial class S3Store : IArtifactStore, IDisposable
{
    private readonly S3StoreOptions options;
    private readonly AmazonS3Client client;
    private readonly ResiliencePipeline retry;
    private readonly ILogger logger;

    public S3Store(S3StoreOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            MaxErrorRetry = 0,

            // Bounded calls (docs/store.md): a connect timeout in the handler, and a timeout per attempt in CallAsync.
            HttpClientFactory = new BoundedHttpClientFactory(options.ConnectTimeout),
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,

            // Only what S3 requires: S3-compatible services (and s3rver) mishandle the SDK's checksum trailers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is not null)
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        client = options.AccessKeyId is null
            ? new AmazonS3Client(DefaultCredentials(config), config)
            : options.SessionToken is null
                ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config)
                : new AmazonS3Client(new SessionAWSCredentials(options.AccessKeyId, options.SecretAccessKey, options.SessionToken), config);

        retry = Retries.Create(options.MaxAttempts, options.RetryBaseDelay, options.RetryMaxDelay, IsTransient, logger, "S3 call");
    }

    /// <summary>The SDK's default chain (web identity, profiles, container and instance metadata), resolved now: none is an input error.</summary>
    private static AWSCredentials DefaultCredentials(AmazonS3Config config)
    {
        try
        {
            return Amazon.Runtime.Credentials.DefaultAWSCredentialsIdentityResolver.GetCredentials(config);
        }
        catch (AmazonClientException e)
        {
            throw new InvalidInputException(
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --s3-credentials-dir (the chart mounts driverBucketSecret there), " +
                $"or give the pod a role (web identity, instance profile). The SDK's default chain found none: {e.Message}");
        }
    }

    public string Location => $"s3://{options.Bucket}/{options.Prefix}" + (options.Endpoint is null ? string.Empty : $" at {options.Endpoint}");

    public async Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await CallAsync("read", key, token => client.GetObjectMetadataAsync(options.Bucket, FullKey(key), token), cancellationToken);
            return metadata.ContentLength;
        }
        catch (StoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound, ErrorCode: not "NoSuchBucket" })
        {
            return null;
        }
    }

    public async Task<StoreObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await CallAsync("read", key, token => client.GetObjectMetadataAsync(options.Bucket, FullKey(key), token), cancellationToken);
            var modified = metadata.LastModified ?? DateTime.UtcNow;
            return new StoreObject(key, metadata.ContentLength, new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero));
        }
        catch (StoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound, ErrorCode: not "NoSuchBucket" })
        {
            return null;
        }
    }

    /// <summary>S3 has no touch: the object is copied onto itself with its metadata replaced, which makes its LastModified now.</summary>
    public Task TouchAsync(string key, CancellationToken cancellationToken) =>
        CallAsync("touch", key, token => client.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = options.Bucket, SourceKey = FullKey(key), DestinationBucket = options.Bucket, DestinationKey = FullKey(key),
            MetadataDirective = S3MetadataDirective.REPLACE,
        }, token), cancellationToken);

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            // The whole object, asked for as the range "bytes=0-": the SDK checks a plain GET of a single-part object against
            // its ETag with a managed MD5, which took a quarter of a fetch's CPU, and checks no ranged GET. Nothing is lost:
            // fetch checks every blob's SHA-256 against its manifest, and manifests are validated (and signed, with keys).
            var request = new GetObjectRequest { BucketName = options.Bucket, Key = FullKey(key), ByteRange = new ByteRange("bytes=0-") };
            var response = await CallAsync("read", key, token => client.GetObjectAsync(request, token), cancellationToken);
            return new ResponseStream(response, options.RequestTimeout, $"{FullKey(key)} in bucket {options.Bucket}{(options.Endpoint is null ? string.Empty : " at " + options.Endpoint)}");
        }
        catch (StoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable })
        {
            return new MemoryStream([], writable: false); // AWS answers a range of an empty object with 416: it is empty
        }
        catch (StoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound, ErrorCode: not "NoSuchBucket" })
        {
            throw new StoreException($"{Location} has no object {key}", Location, key, e.InnerException);
        }
    }

    public async Task PutFileAsync(string key, string path, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var size = new FileInfo(path).Length;
        if (size >= options.MultipartThreshold)
        {
            await PutMultipartAsync(key, path, size, progress, cancellationToken);
            return;
        }

        await CallAsync("write", key, token =>
        {
            var request = new PutObjectRequest { BucketName = options.Bucket, Key = FullKey(key), FilePath = path, UseChunkEncoding = false };
            return client.PutObjectAsync(request, token);
        }, cancellationToken, size);
        progress?.Report(size);
    }

    public Task PutBytesAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        CallAsync("write", key, token =>
        {
            var request = new PutObjectRequest
            {
                BucketName = options.Bucket, Key = FullKey(key), InputStream = new MemoryStream(content.ToArray(), writable: false),
                UseChunkEncoding = false, ContentType = "application/json",
            };
            return client.PutObjectAsync(request, token);
        }, cancellationToken);

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken) =>
        [.. (await ListObjectsAsync(prefix, cancellationToken)).Select(o => o.Key)];

    public async Task<IReadOnlyList<StoreObject>> ListObjectsAsync(string prefix, CancellationToken cancellationToken)
    {
        var objects = new List<StoreObject>();
        var request = new ListObjectsV2Request { BucketName = options.Bucket, Prefix = FullKey(prefix) };
        do
        {
            var page = await CallAsync("list", prefix, token => client.ListObjectsV2Async(request, token), cancellationToken);
            objects.AddRange((page.S3Objects ?? []).Select(o => new StoreObject(RelativeKey(o.Key), o.Size ?? 0, o.LastModified is { } at ? new DateTimeOffset(at.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.UtcNow)));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (!string.IsNullOrEmpty(request.ContinuationToken));

        return objects;
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        CallAsync("delete", key, token => client.DeleteObjectAsync(options.Bucket, FullKey(key), token), cancellationToken);

    public void Dispose() => client.Dispose();

    private string FullKey(string key) => options.Prefix.Length == 0 ? key : options.Prefix + "/" + key;

    private string RelativeKey(string key) => options.Prefix.Length == 0 ? key : key[(options.Prefix.Length + 1)..];

    /// <summary>
    /// One S3 call with retries, each attempt bounded by <see cref="S3StoreOptions.RequestTimeout"/> (plus the time
    /// <paramref name="uploadBytes"/> take at 256 KiB/s); failures become a <see cref="StoreException"/> naming
    /// endpoint, bucket and key.
    /// </summary>
    private async Task<T> CallAsync<T>(string operation, string key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, long uploadBytes = 0)
    {
        var limit = options.RequestTimeout + TimeSpan.FromSeconds(uploadBytes / (256.0 * 1024));
        try
        {
            return await retry.ExecuteAsync(
                async token =>
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token);
                    attempt.CancelAfter(limit);
                    try
                    {
                        return await call(attempt.Token);
                    }
                    catch (OperationCanceledException e) when (attempt.IsCancellationRequested && !token.IsCancellationRequested)
                    {
                        throw new TimeoutException($"no answer within {limit.TotalSeconds:0.#} s (--s3-timeout)", e);
                    }
                },
                cancellationToken);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TimeoutException
                                   || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw Translate(e, operation, key);
        }
    }

    private StoreException Translate(Exception e, string operation, string key)
    {
        var where = $"bucket {options.Bucket}" + (options.Endpoint is null ? $" (region {options.Region})" : $" at {options.Endpoint}");
        var fullKey = FullKey(key);
        var message = e switch
        {
            AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } s3 =>
                $"access denied ({(int)s3.StatusCode} {s3.ErrorCode}) to {operation} {fullKey} in {where}: check the access key id and secret " +
                "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the chart's driverBucketSecret) and that this key may " + operation + " the bucket",
            AmazonS3Exception { ErrorCode: "NoSuchBucket" } => $"{where} does not exist (while trying to {operation} {fullKey}); create it or fix --store",
            AmazonServiceException service when service.StatusCode != 0 =>
                $"S3 refused to {operation} {fullKey} in {where}: HTTP {(int)service.StatusCode} {service.ErrorCode} {service.Message}",
            TimeoutException => $"cannot {operation} {fullKey} in {where}: {options.MaxAttempts} attempt(s) got {Retries.Describe(e)}. " +
                "Is the endpoint reachable and answering? (--s3-timeout, --s3-connect-timeout)",
            _ => $"cannot {operation} {fullKey} in {where} after {options.MaxAttempts} attempts: {Retries.Describe(e)}. Is the endpoint reachable?",
        };
        return new StoreException(message, Location, key, e);
    }

    /// <summary>The SDK's HttpClient with a connect timeout; per-attempt time limits come from <see cref="CallAsync"/>.</summary>
    private sealed class BoundedHttpClientFactory(TimeSpan connectTimeout) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
            new(new SocketsHttpHandler { ConnectTimeout = connectTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = System.Net.DecompressionMethods.None })
            {
                Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            };
    }

    /// <summary>Worth another attempt: throttling, timeouts, server errors, but not 501 (the service lacks the call; it will not grow it in a second).</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        AmazonServiceException { StatusCode: HttpStatusCode.NotImplemented } => false,
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" } => true,
        AmazonServiceException { StatusCode: 0, InnerException: { } inner } => IsTransient(inner),
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// The body of a GetObject response; disposing it disposes the response. The SDK checks a single-part body
    /// against its ETag's MD5 at the end and throws; the body has passed through by then, and the caller's own
    /// SHA-256 check against the manifest reports the mismatch with both hashes, so the body simply ends there.
    /// </summary>
    private sealed class ResponseStream(GetObjectResponse response, TimeSpan stallTimeout, string what) : ReadOnlyStream
    {
        private readonly Stream inner = response.ResponseStream;
        private bool ended;

        public override long Length => response.ContentLength;

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return ended ? 0 : inner.Read(buffer, offset, count);
            }
            catch (AmazonClientException)
            {
                ended = true;
                return 0;
            }
        }

        /// <summary>A read that gets no byte within the stall timeout fails as an IOException naming the object (a silent endpoint).</summary>
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stall.CancelAfter(stallTimeout);
            try
            {
                return ended ? 0 : await inner.ReadAsync(buffer, stall.Token);
            }
            catch (AmazonClientException)
            {
                ended = true;
                return 0;
            }
            catch (OperationCanceledException e) when (stall.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new IOException($"reading {what} stalled: no data for {stallTimeout.TotalSeconds:0.#} s (--s3-timeout)", e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
