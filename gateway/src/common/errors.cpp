#include "common/errors.h"
