using Modulus.Compile;

namespace Modulus.Tests.Compile;

public sealed class CompileRequestTests
{
    [Theory]
    [InlineData("auto", "nvidia-runfile", "550.127.08", "proprietary")]
    [InlineData("auto", "nvidia-runfile", "559.9", "proprietary")]
    [InlineData("auto", "nvidia-runfile", "560.28.03", "open")]
    [InlineData("auto", "nvidia-runfile", "999.1.2", "open")]
    [InlineData("open", "nvidia-runfile", "450.80.02", "open")]
    [InlineData("proprietary", "nvidia-runfile", "570.1", "proprietary")]
    [InlineData("auto", "kbuild", "1.0", "open")]
    public void Resolves_auto_to_proprietary_below_560_and_open_from_560(string requested, string kind, string version, string expected) =>
        CompileRequest.ResolveModuleType(requested, kind, version).Should().Be(expected);
}
