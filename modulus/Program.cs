using Modulus.Commands;

return await ModulusCli.InvokeAsync(args, Environment.GetEnvironmentVariable);
