using System.Runtime.InteropServices;

namespace Modulus.Core.Native;

/// <summary>
/// The file mode creation mask of this process. Modulus and dev-builder set it to 022 first thing: every directory
/// and file they create (the host cache, a file:// store, fetched artifacts) then has the same modes whatever umask
/// the container or shell started them with (under umask 000 the cache was world-writable). Files written through
/// <c>AtomicFile</c> and extracted from an artifact get their modes explicitly as well.
/// </summary>
public static partial class ProcessUmask
{
    public const int Default = 0x12; // 022: group and others may read, never write

    /// <summary>Sets the mask to <see cref="Default"/> and returns the one it replaces.</summary>
    public static int SetDefault() => SetMask(Default);

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial int SetMask(int mask);
}
