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

    public Task<StoreObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        return Task.FromResult(info.Exists ? new StoreObject(key, info.Length, new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero)) : null);
    }

    public Task TouchAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"touching {key} in {Location} failed: {e.Message}", Location, key, e);
        }

        return Task.CompletedTask;
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
            ? [.. Directory.EnumerateFiles(start, "*", NoLinks)
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
            Core.Native.Beneath.Delete(root, Path.GetRelativePath(root, path)); // the check above, made again by the kernel at the delete
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
            foreach (var temp in Directory.EnumerateFiles(start, ".*", NoLinks)
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
        try
        {
            // Through handles of the store's directories, none a link: the check in PathOf, made again by the kernel.
            await AtomicFile.WriteBeneathAsync(root, Path.GetRelativePath(root, target), stream => write((FileStream)stream), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreException($"writing {key} to {Location} failed: {e.Message}", Location, key, e);
        }
    }

    /// <summary>Every file below a directory, never through a symbolic link (to a file or a directory): what a link points at is not in the store.</summary>
    private static readonly EnumerationOptions NoLinks = new()
    {
        RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false, MatchType = MatchType.Simple,
    };

    /// <summary>
    /// The path of a key: inside the root by its text and by what is on disk — a symbolic link on the way (a
    /// directory of the store linked elsewhere, or the object itself) is refused, so no read, write or delete
    /// reaches outside the store. The root itself may be a link; that is the operator's choice.
    /// </summary>
    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(root, key));
        if (path != root && !path.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new StoreException($"key {key} lies outside {Location}", Location, key);
        }

        var current = root;
        foreach (var part in Path.GetRelativePath(root, path).Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."))
        {
            current = Path.Combine(current, part);
            if (new FileInfo(current).LinkTarget is { } target)
            {
                throw new StoreException(
                    $"{Location}: {Path.GetRelativePath(root, current)} is a symbolic link (to {target}); the file store never follows links inside it, so {key} is not used. Remove the link.",
                    Location, key);
            }
        }

        return path;
    }
}
