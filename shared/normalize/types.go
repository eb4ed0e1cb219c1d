package normalize

import "reflect"

var (
	stringType = reflect.TypeOf("")
	boolType   = reflect.TypeOf(false)
)
