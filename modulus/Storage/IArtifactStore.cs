namespace Modulus.Storage;

/// <summary>
/// Where artifacts are published: an S3 bucket or a local directory with the same layout (docs/store.md).
/// Keys are relative to the store's prefix and use '/'. Writes are atomic: an object is either absent or complete.
/// </summary>
internal interface IArtifactStore : IDisposable
{
    /// <summary>The store for messages, e.g. <c>s3://bucket/prefix (endpoint http://127.0.0.1:4568)</c>; never a secret.</summary>
    string Location { get; }

    /// <summary>The object's size, or null when there is no such object.</summary>
    Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken);

    /// <summary>The object's size and last write time, or null when there is no such object.</summary>
    Task<StoreObject?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Makes an existing object's last write time now without changing its content: a publish that re-uses a blob
    /// restarts its gc grace period. Throws <see cref="Core.Errors.StoreException"/> when the store cannot (the caller uploads instead).
    /// </summary>
    Task TouchAsync(string key, CancellationToken cancellationToken);

    /// <summary>Opens an object for reading; throws <see cref="Core.Errors.StoreException"/> when it does not exist.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Uploads a local file as one object, reporting bytes sent to <paramref name="progress"/>.</summary>
    Task PutFileAsync(string key, string path, IProgress<long>? progress, CancellationToken cancellationToken);

    Task PutBytesAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what interrupted writes below <paramref name="prefix"/> left, once older than <paramref name="olderThan"/>
    /// (so a writer still at work is never hurt): unfinished multipart uploads on S3, temp files in a file store.
    /// Returns how many were removed.
    /// </summary>
    Task<int> RemoveStaleWritesAsync(string prefix, TimeSpan olderThan, CancellationToken cancellationToken);

    /// <summary>Every key below <paramref name="prefix"/>, in no particular order.</summary>
    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Every object below <paramref name="prefix"/> with its size and when it was last written.</summary>
    Task<IReadOnlyList<StoreObject>> ListObjectsAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an object; one that is gone already is no error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>An object of a store: its key (relative to the prefix), size and last write time.</summary>
internal sealed record StoreObject(string Key, long Size, DateTimeOffset LastModified);
