using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace Modulus.Storage;

internal sealed partial class S3Store
{
    /// <summary>Uploads parts of the file in parallel; any failure aborts the upload so no parts linger.</summary>
    private async Task PutMultipartAsync(string key, string path, long size, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var upload = await CallAsync("write", key, token =>
            client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = FullKey(key) }, token), cancellationToken);
        var parts = (int)((size + options.PartSize - 1) / options.PartSize);
        logger.LogInformation("Multipart upload of {Key}: {Parts} parts of {PartSizeMiB} MiB, {Parallelism} at a time", key, parts, options.PartSize >> 20, options.Parallelism);
        try
        {
            var etags = new PartETag[parts];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(1, parts), parallel, async (number, token) =>
            {
                var offset = (number - 1) * options.PartSize;
                var length = Math.Min(options.PartSize, size - offset);
                var response = await CallAsync("write", key, t => client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = options.Bucket, Key = FullKey(key), UploadId = upload.UploadId, PartNumber = number,
                    FilePath = path, FilePosition = offset, PartSize = length, UseChunkEncoding = false,
                }, t), token);
                etags[number - 1] = new PartETag(number, response.ETag);
                progress?.Report(length);
            });

            await CallAsync("write", key, token => client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = options.Bucket, Key = FullKey(key), UploadId = upload.UploadId, PartETags = [.. etags],
            }, token), cancellationToken);
        }
        catch
        {
            await AbortAsync(key, upload.UploadId);
            throw;
        }
    }

    /// <summary>Aborts multipart uploads below <paramref name="prefix"/> initiated before <paramref name="olderThan"/> ago (a killed publish's).</summary>
    public async Task<int> RemoveStaleWritesAsync(string prefix, TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var listed = await CallAsync("list uploads", prefix, token =>
            client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = options.Bucket, Prefix = FullKey(prefix) }, token), cancellationToken);
        var stale = (listed.MultipartUploads ?? []).Where(u => u.Initiated is { } at && at.ToUniversalTime() < DateTime.UtcNow - olderThan).ToList();
        foreach (var upload in stale)
        {
            await AbortAsync(RelativeKey(upload.Key), upload.UploadId);
        }

        return stale.Count;
    }

    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = FullKey(key), UploadId = uploadId }, timeout.Token);
            logger.LogInformation("Aborted the multipart upload of {Key}", key);
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            logger.LogWarning("Could not abort the multipart upload {UploadId} of {Key}: {Error}; a bucket lifecycle rule for incomplete uploads cleans it up", uploadId, key, e.Message);
        }
    }
}
