process.stdout.write('The NAB machine-temperature experiment is not built yet (see issue 7).\n');
