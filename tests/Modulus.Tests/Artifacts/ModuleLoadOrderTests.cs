using Modulus.Core.Artifacts;

namespace Modulus.Tests.Artifacts;

public sealed class ModuleLoadOrderTests
{
    private static IReadOnlyList<string> Order(params (string Name, string[] Depends)[] modules) =>
        [.. ModuleLoadOrder.Sort(modules, m => m.Name, m => m.Depends).Select(m => m.Name)];

    [Fact]
    public void Puts_every_module_after_the_modules_it_depends_on()
    {
        var order = Order(("nvidia_drm", ["nvidia_modeset", "drm"]), ("nvidia_modeset", ["nvidia"]), ("nvidia_uvm", ["nvidia"]), ("nvidia", []));

        order.Should().Equal("nvidia", "nvidia_modeset", "nvidia_drm", "nvidia_uvm");
    }

    [Fact]
    public void Follows_dependencies_before_nvidias_customary_order()
    {
        // an odd set where nvidia depends on nvidia_uvm: dependencies win
        Order(("nvidia", ["nvidia_uvm"]), ("nvidia_uvm", [])).Should().Equal("nvidia_uvm", "nvidia");
    }

    [Fact]
    public void Orders_independent_modules_by_name() =>
        Order(("zeta", []), ("alpha", []), ("mid", [])).Should().Equal("alpha", "mid", "zeta");

    [Fact]
    public void Reports_a_dependency_cycle_with_the_modules_in_it() =>
        FluentActions.Invoking(() => Order(("a", ["b"]), ("b", ["a"]), ("c", [])))
            .Should().Throw<InvalidDataException>().WithMessage("the modules a, b depend on each other in a cycle");
}
