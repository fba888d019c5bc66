using Modulus.Commands;
using Modulus.Commands.Options;
using Modulus.Core.Errors;

namespace Modulus.Tests.Commands;

public sealed class EnvironmentDefaultsTests
{
    private static readonly string[] Compile = ["compile"];

    private static string[] Apply(string[] args, Dictionary<string, string> environment)
    {
        var root = ModulusCli.Create(_ => null);
        return EnvironmentDefaults.Apply(root.Parse(args), args, name => environment.GetValueOrDefault(name));
    }

    [Fact]
    public void Names_the_variable_of_an_option_in_upper_snake_case()
    {
        var option = ModulusCli.Create(_ => null).Subcommands.Single(c => c.Name == "compile").Options.Single(o => o.Name == "--driver-version");

        EnvironmentDefaults.VariableFor(option).Should().Be("MODULUS_DRIVER_VERSION");
    }

    [Fact]
    public void Takes_a_value_from_the_environment_when_the_command_line_has_none()
    {
        var args = Apply(Compile, new() { ["MODULUS_DRIVER_VERSION"] = "550.127.08", ["MODULUS_GARDENLINUX_VERSION"] = "1592.3" });

        var parsed = ModulusCli.Create(_ => null).Parse(args);
        parsed.GetValue<string?>("--driver-version").Should().Be("550.127.08");
        parsed.GetValue<string?>("--gardenlinux-version").Should().Be("1592.3");
    }

    [Fact]
    public void Lets_the_command_line_win_over_the_environment()
    {
        var args = Apply(["compile", "--driver-version", "1.2"], new() { ["MODULUS_DRIVER_VERSION"] = "550.127.08" });

        ModulusCli.Create(_ => null).Parse(args).GetValue<string?>("--driver-version").Should().Be("1.2");
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("false", false)]
    [InlineData("0", false)]
    public void Reads_flags_as_true_or_false(string value, bool expected)
    {
        var args = Apply(Compile, new() { ["MODULUS_LOCAL_BUILDER"] = value });

        ModulusCli.Create(_ => null).Parse(args).GetValue<bool>("--local-builder").Should().Be(expected);
    }

    [Fact]
    public void Refuses_a_flag_that_is_neither_true_nor_false() =>
        FluentActions.Invoking(() => Apply(Compile, new() { ["MODULUS_LOCAL_BUILDER"] = "yes please" }))
            .Should().Throw<InvalidInputException>().WithMessage("MODULUS_LOCAL_BUILDER='yes please' is not valid: expected true or false");

    [Theory]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public void A_flag_whose_default_is_true_is_turned_off_by_its_variable(string value, bool expected)
    {
        var args = Apply(["install"], new() { ["MODULUS_IOMMU_PASSTHROUGH"] = value, ["MODULUS_UVM_DISABLE_HMM"] = value });

        var parsed = ModulusCli.Create(_ => null).Parse(args);
        parsed.GetValue<bool>("--iommu-passthrough").Should().Be(expected, "the chart sets nvidiaInstaller.iommuPassthrough: false so");
        parsed.GetValue<bool>("--uvm-disable-hmm").Should().Be(expected);
    }

    [Fact]
    public void Without_its_variable_a_flag_keeps_its_default() =>
        ModulusCli.Create(_ => null).Parse(Apply(["install"], [])).GetValue<bool>("--iommu-passthrough").Should().BeTrue();

    [Fact]
    public void An_empty_trusted_keys_variable_is_an_error_not_signature_checks_off()
    {
        FluentActions.Invoking(() => Apply(["verify"], new() { ["MODULUS_TRUSTED_KEYS"] = "" }))
            .Should().Throw<InvalidInputException>().WithMessage("MODULUS_TRUSTED_KEYS is set but empty, which --trusted-keys does not accept: give it a value, or unset it");
        Apply(["verify"], []).Should().Equal(["verify"], "unset is still unset");
    }

    [Theory]
    [InlineData("publish", "MODULUS_STORE", "--store")]
    [InlineData("publish", "MODULUS_SIGNING_KEY", "--signing-key")]
    [InlineData("compile", "MODULUS_DRIVER_SOURCE_SHA256", "--driver-source-sha256")]
    [InlineData("compile", "MODULUS_MODULE_SIGNING_KEY", "--module-signing-key")]
    [InlineData("compile", "MODULUS_MODULE_SIGNING_CERT", "--module-signing-cert")]
    public void An_empty_variable_that_would_switch_a_check_or_a_signature_off_is_an_error(string command, string variable, string option) =>
        FluentActions.Invoking(() => Apply([command], new() { [variable] = "" }))
            .Should().Throw<InvalidInputException>().WithMessage($"{variable} is set but empty, which {option} does not accept: give it a value, or unset it");
}
