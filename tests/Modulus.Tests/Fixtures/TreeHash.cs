using System.Security.Cryptography;
using System.Text;

namespace Modulus.Tests.Fixtures;

/// <summary>One hash over a directory tree: every path, its kind, mode, link target and content.</summary>
public static class TreeHash
{
    public static string Of(string root)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in Directory.GetFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            var kind = info.LinkTarget is { } link ? "link " + link : info.Attributes.HasFlag(FileAttributes.Directory) ? "dir" : "file";
            hash.AppendData(Encoding.UTF8.GetBytes($"{Path.GetRelativePath(root, path)}\0{kind}\0{(int)info.UnixFileMode}\0"));
            if (kind == "file")
            {
                hash.AppendData(File.ReadAllBytes(path));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
