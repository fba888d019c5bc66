using Modulus.DevBuilder.Recipes;

namespace Modulus.Tests.Fixtures;

/// <summary>The kernel whose headers `make test` installed (Debian's linux-headers-amd64).</summary>
public static class KernelUnderTest
{
    private static readonly Lazy<string> ReleaseValue = new(() =>
    {
        var found = new KernelHeadersLocator("/").Discover();
        return found.Count == 1
            ? found[0].Release
            : throw new InvalidOperationException(
                $"the tests need exactly one kernel's headers installed (run `make test`, which installs linux-headers-amd64); found {found.Count}: {string.Join(", ", found.Select(k => k.Release))}");
    });

    public static string Release => ReleaseValue.Value;
}
