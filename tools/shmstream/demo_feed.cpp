#include "command_table.hpp"
