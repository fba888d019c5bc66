using Modulus.Core.Errors;
using Modulus.Core.Files;

namespace Modulus.Storage;

/// <summary>
/// The embedded store: the S3 layout on a local disk. Every object is written to a temporary name in its
/// directory, flushed to disk, and renamed into place, so readers never see part of one.
/// </summary>
internal sealed class FileStore(string root) : IArtifactStore
{
    public string Location => "file://" + root;

    public Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult(info.Exists ? info.Length : (long?)null);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        return File.Exists(path)
            ? Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            : throw new StoreException($"{Location} has no object {key}", Location, key);
    }

    public async Task PutFileAsync(string key, string path, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await WriteAtomicallyAsync(key, async target =>
        {
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                progress?.Report(n);
            }
        }, cancellationToken);
    }

    public Task PutBytesAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        WriteAtomicallyAsync(key, target => target.WriteAsync(content, cancellationToken).AsTask(), cancellationToken);

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken) =>
        [.. (await ListObjectsAsync(prefix, cancellationToken)).Select(o => o.Key)];

    public Task<IReadOnlyList<StoreObject>> ListObjectsAsync(string prefix, CancellationToken cancellationToken)
    {
        var start = PathOf(prefix.TrimEnd('/'));
        IReadOnlyList<StoreObject> objects = Directory.Exists(start)
            ? [.. Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories)
                .Where(p => !AtomicFile.IsTempName(Path.GetFileName(p)))
                .Select(p => new FileInfo(p))
                .Select(f => new StoreObject(Path.GetRelativePath(root, f.FullName).Replace('\\', '/'), f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))]
            : [];
        return Task.FromResult(objects);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"deleting {key} from {Location} failed: {e.Message}", Location, key, e);
        }

        return Task.CompletedTask;
    }

    public Task<int> RemoveStaleWritesAsync(string prefix, TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var start = PathOf(prefix.TrimEnd('/'));
        var removed = 0;
        if (Directory.Exists(start))
        {
            foreach (var temp in Directory.EnumerateFiles(start, ".*", SearchOption.AllDirectories)
                .Where(t => AtomicFile.IsTempName(Path.GetFileName(t)) && File.GetLastWriteTimeUtc(t) < DateTime.UtcNow - olderThan))
            {
                File.Delete(temp);
                removed++;
            }
        }

        return Task.FromResult(removed);
    }

    public void Dispose()
    {
    }

    private async Task WriteAtomicallyAsync(string key, Func<FileStream, Task> write, CancellationToken cancellationToken)
    {
        var target = PathOf(key);
        var directory = Path.GetDirectoryName(target)!;
        try
        {
            Directory.CreateDirectory(directory);
            await AtomicFile.WriteAsync(target, stream => write((FileStream)stream), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"writing {key} to {Location} failed: {e.Message}", Location, key, e);
        }
    }

    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key));
        return path == root || path.StartsWith(root + "/", StringComparison.Ordinal)
            ? path
            : throw new StoreException($"key {key} lies outside {Location}", Location, key);
    }
}
