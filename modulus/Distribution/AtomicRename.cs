using System.Runtime.InteropServices;

namespace Modulus.Distribution;

/// <summary><c>renameat2(2)</c> with <c>RENAME_EXCHANGE</c>: swaps two paths in one step (Linux 3.15+, most local filesystems).</summary>
internal static partial class AtomicRename
{
    private const int AT_FDCWD = -100;
    private const uint RENAME_EXCHANGE = 2;

    /// <summary>Swaps <paramref name="a"/> and <paramref name="b"/>; false where the kernel or filesystem cannot (EINVAL, ENOSYS).</summary>
    public static bool TryExchange(string a, string b)
    {
        if (RenameAt2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is 22 or 38 or 95 // EINVAL, ENOSYS, EOPNOTSUPP: fall back to two renames
            ? false
            : throw new IOException($"swapping {a} and {b} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
