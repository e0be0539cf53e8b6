from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("i/<str:token>/", views.invitation_landing, name="landing"),
    path("r/<str:resume>/", views.response_continue, name="continue"),
    path("r/<str:resume>/p/<int:number>/", views.response_page, name="page"),
    path("r/<str:resume>/review/", views.response_review, name="review"),
    path("r/<str:resume>/later/", views.response_later, name="later"),
    path("r/<str:resume>/thanks/", views.response_thanks, name="thanks"),
]
