namespace Modulus.Tests.Fixtures;

/// <summary>The one place test time limits live (milliseconds, for xunit's Timeout).</summary>
public static class TestTimeouts
{
    /// <summary>In-process work and short child processes.</summary>
    public const int Quick = 30_000;

    /// <summary>A dev-builder round trip with a real kbuild compile.</summary>
    public const int Build = 180_000;

    /// <summary>Building the artifacts and booting a kernel under QEMU (TCG) for the install scenario.</summary>
    public const int Vm = 400_000;

    public static readonly TimeSpan QuickSpan = TimeSpan.FromMilliseconds(Quick);
}
