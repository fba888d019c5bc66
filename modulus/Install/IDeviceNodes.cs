namespace Modulus.Install;

/// <summary>Character device nodes under the host's /dev, and the majors the kernel registered.</summary>
internal interface IDeviceNodes
{
    /// <summary>Names and majors of the character devices in <c>/proc/devices</c>.</summary>
    IReadOnlyDictionary<string, int> CharacterMajors();

    bool Exists(string name);

    /// <summary>Creates <c>/dev/&lt;name&gt;</c> (mode 0666), replacing a node with other numbers.</summary>
    void Create(string name, int major, int minor);
}
