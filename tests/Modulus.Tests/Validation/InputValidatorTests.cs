using Modulus.Core.Errors;
using Modulus.Core.Validation;

namespace Modulus.Tests.Validation;

public sealed class InputValidatorTests
{
    [Theory]
    [InlineData("550.127.08")]
    [InlineData("999.1")]
    [InlineData("450.80.02")]
    public void Accepts_driver_versions_of_two_or_three_numbers(string version) =>
        InputValidator.DriverVersion(version).Should().Be(version);

    [Theory]
    [InlineData("../x")]
    [InlineData("550.1;rm -rf /")]
    [InlineData("latest")]
    [InlineData("550")]
    [InlineData("550.1.2.3")]
    [InlineData("550.1\n")]
    [InlineData("５５０.１２７")] // full-width digits: \d would take them
    [InlineData("550.1234567890")]
    public void Rejects_malformed_driver_versions_naming_the_option_and_the_form(string version)
    {
        var act = () => InputValidator.DriverVersion(version);

        act.Should().Throw<InvalidInputException>()
            .Where(e => e.ExitCode == ExitCodes.InvalidInput)
            .WithMessage("--driver-version*not valid*expected a version like 550.127.08*");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Reports_a_missing_value_as_required(string? value) =>
        FluentActions.Invoking(() => InputValidator.GardenlinuxVersion(value))
            .Should().Throw<InvalidInputException>().WithMessage("--gardenlinux-version is required*");

    [Theory]
    [InlineData("6.6.62-cloud-amd64")]
    [InlineData("6.1.0-56-amd64")]
    [InlineData("5.15.0+deb~1")]
    public void Accepts_kernel_releases(string release) => InputValidator.KernelRelease(release).Should().Be(release);

    [Theory]
    [InlineData("../../etc")]
    [InlineData("-rf")]
    [InlineData("6.1 amd64")]
    [InlineData("6.1/amd64")]
    public void Rejects_kernel_releases_that_could_escape_a_path_or_an_argument(string release) =>
        FluentActions.Invoking(() => InputValidator.KernelRelease(release))
            .Should().Throw<InvalidInputException>().WithMessage("--kernel-version*");

    [Theory]
    [InlineData("x86_64")]
    [InlineData("AMD64")]
    public void Accepts_only_the_debian_arch_names(string arch) =>
        FluentActions.Invoking(() => InputValidator.Arch(arch)).Should().Throw<InvalidInputException>().WithMessage("*amd64 or arm64*");

    [Fact]
    public void Keeps_control_characters_out_of_the_message() =>
        FluentActions.Invoking(() => InputValidator.DriverVersion("1.2\u001b[31m"))
            .Should().Throw<InvalidInputException>().Which.Message.Should().NotContain("\u001b");

    [Fact]
    public void Caps_the_length_of_a_kernel_release() =>
        FluentActions.Invoking(() => InputValidator.KernelRelease("6." + new string('1', 200)))
            .Should().Throw<InvalidInputException>().WithMessage("--kernel-version*not valid*");

    [Fact]
    public void Takes_a_sha256_of_64_hex_digits_in_lower_case_and_refuses_anything_else()
    {
        InputValidator.Sha256(new string('A', 64)).Should().Be(new string('a', 64));
        FluentActions.Invoking(() => InputValidator.Sha256(new string('a', 63)))
            .Should().Throw<InvalidInputException>().WithMessage("--driver-source-sha256 '*' is not valid: expected a SHA-256 checksum: 64 hex digits");
    }

    [Theory]
    [InlineData("file:///etc/modulus/signing_key.pem")]
    [InlineData("https://example.com/key.pem")]
    [InlineData("keys/signing_key.pem")]
    public void A_signing_key_is_an_absolute_path_not_a_uri(string value) =>
        FluentActions.Invoking(() => InputValidator.AbsolutePath(value, "--module-signing-key"))
            .Should().Throw<InvalidInputException>().WithMessage("--module-signing-key '*' is not valid: expected an absolute path, as the dev container sees it");
}
